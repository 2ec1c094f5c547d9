package io.ddp4j.examples;

import io.ddp4j.ddp.launch.LaunchOptions;
import io.ddp4j.ddp.launch.Launcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ddp4j run}: torchrun for the JVM. Starts the workers of this node with RANK, WORLD_SIZE,
 * LOCAL_RANK, MASTER_ADDR and the rest set, prefixes their output with their rank, and stops the
 * whole group when one fails.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Launch N worker JVMs per node for a data-parallel job (like torchrun).",
        footer = {"", "Examples:",
                "  ./ddp4j run --nproc-per-node 4 -- com.example.Train --epochs 3",
                "  ./ddp4j run --nnodes 2 --node-rank 0 --master-addr 10.0.0.1 --master-port 29500 --nproc-per-node 8 -- train.jar"})
public final class RunCommand implements Callable<Integer> {

    @Option(names = "--nproc-per-node", defaultValue = "1", description = "Workers on this node (default ${DEFAULT-VALUE}).")
    int nprocPerNode;

    @Option(names = "--nnodes", defaultValue = "1", description = "Nodes in the job (default ${DEFAULT-VALUE}).")
    int nnodes;

    @Option(names = "--node-rank", defaultValue = "0", description = "This node's rank, 0..nnodes-1 (default ${DEFAULT-VALUE}).")
    int nodeRank;

    @Option(names = "--master-addr", defaultValue = "127.0.0.1", description = "Where node 0's launcher hosts the store (default ${DEFAULT-VALUE}).")
    String masterAddr;

    @Option(names = "--master-port", defaultValue = "0", description = "The store's port; 0 picks a free one (single node only).")
    int masterPort;

    @Option(names = "--max-restarts", defaultValue = "0", description = "Restart the whole group up to K times after a failure.")
    int maxRestarts;

    @Option(names = "--jvm-arg", description = "An extra JVM option for every worker (repeatable), e.g. --jvm-arg=-Xmx8g.")
    List<String> jvmArgs = new ArrayList<>();

    @Parameters(arity = "1..*", paramLabel = "MAIN_CLASS|JAR [ARGS]", description = "What each worker runs, after --.")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        String target = command.getFirst();
        List<String> args = command.subList(1, command.size());
        LaunchOptions options = new LaunchOptions(nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, maxRestarts,
                target, args, jvmArgs, Map.of(), Duration.ofSeconds(5), Duration.ofSeconds(5));
        return new Launcher().run(options);
    }
}
