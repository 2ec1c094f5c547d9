package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.nn.SyncBatchNorm;
import io.ddp4j.tensor.nn.Module;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The worker JVM of the launcher tests: joins through env://, trains a reference model under DDP on
 * its shard of each batch, and writes its final state to {@code outDir/rank-R.bin}.
 *
 * <pre>args: model(mlp|cnn-bn) outDir steps batch lr</pre>
 */
public final class DdpWorker {
    public static void main(String[] args) throws Exception {
        String kind = args[0];
        Path out = Path.of(args[1]);
        int steps = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        double lr = Double.parseDouble(args[4]);
        try (Distributed d = Distributed.init(InitOptions.fromEnv().withTimeout(Duration.ofSeconds(20)))) {
            int r = d.rank(), w = d.worldSize();
            Module m = Training.model(kind, 42 + r);
            if (kind.endsWith("-bn")) m = SyncBatchNorm.convert(m, d.group());
            DdpOptions o = DdpOptions.defaults().withBucketCaps(List.of(4_000L, 100_000L));
            try (var ddp = DistributedDataParallel.wrap(m, d.group(), o)) {
                int n = batch / w;
                Training.train(m, ddp::forward, steps, batch, r * n, n, lr);
                System.out.println("rank " + r + " " + ddp.stats());
            }
            write(out.resolve("rank-" + r + ".bin"), Training.snapshot(m));
        }
    }

    static void write(Path file, Map<String, float[]> state) throws IOException {
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(file))) {
            o.writeInt(state.size());
            for (var e : state.entrySet()) {
                o.writeUTF(e.getKey());
                o.writeInt(e.getValue().length);
                for (float f : e.getValue()) o.writeFloat(f);
            }
        }
    }

    static Map<String, float[]> read(Path file) throws IOException {
        try (var in = new java.io.DataInputStream(Files.newInputStream(file))) {
            Map<String, float[]> m = new java.util.LinkedHashMap<>();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String k = in.readUTF();
                float[] v = new float[in.readInt()];
                for (int j = 0; j < v.length; j++) v[j] = in.readFloat();
                m.put(k, v);
            }
            return m;
        }
    }
}
