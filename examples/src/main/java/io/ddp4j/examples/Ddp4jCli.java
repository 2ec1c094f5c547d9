package io.ddp4j.examples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ddp4j} command line. The {@code ./ddp4j} script adds {@code build} and {@code test}. */
@Command(name = "ddp4j", mixinStandardHelpOptions = true, version = "ddp4j 0.1.0-SNAPSHOT",
        description = "Data-parallel GPU training on the JVM.",
        subcommands = {InfoCommand.class, RunCommand.class, io.ddp4j.examples.train.TrainCommand.class})
public final class Ddp4jCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Ddp4jCli()).execute(args));
    }
}
