package io.ddp4j.benchmarks.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.io.safetensors.TensorFiles;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU smoke test of the parity main, with inputs made in Java (no PyTorch here): it writes
 * what the script expects, and the MLP's logits and last-layer gradients agree with a plain
 * double-precision computation from the same weights.
 */
class ParityMainTest {
    @TempDir
    Path dir;

    @Test
    void writesLogitsLossAndEveryGradientForBothModels() throws Exception {
        ParityMain.main(new String[]{"--dir", dir.toString(), "--generate", "--batch", "4"});
        ParityMain.main(new String[]{"--dir", dir.toString(), "--device", "cpu"});
        for (String m : ParityMain.MODELS) {
            Map<String, Tensor> out = TensorFiles.load(dir.resolve("ddp4j_cpu_" + m + ".safetensors"));
            Map<String, Tensor> weights = TensorFiles.load(dir.resolve(m + "_weights.safetensors"));
            assertArrayEquals(new int[]{4, 10}, out.get("logits").shape());
            assertArrayEquals(new int[]{1}, out.get("loss").shape());
            for (var w : weights.entrySet()) {
                Tensor g = out.get("grad." + w.getKey());
                assertArrayEquals(w.getValue().shape(), g.shape(), "gradient of " + w.getKey());
                for (float v : g.toFloatArray()) assertTrue(Float.isFinite(v), "finite gradient of " + w.getKey());
            }
            double loss = out.get("loss").item();
            assertTrue(loss > 0 && loss < 20, m + " loss " + loss);
        }
    }

    @Test
    void mlpMatchesAPlainDoubleComputation() {
        ParityMain.generate(dir, "mlp", 3, 5);
        Path file = ParityMain.run(dir, "mlp", Device.CPU);
        Map<String, Tensor> out = TensorFiles.load(file);
        Map<String, Tensor> w = TensorFiles.load(dir.resolve("mlp_weights.safetensors"));
        Map<String, Tensor> in = TensorFiles.load(dir.resolve("mlp_inputs.safetensors"));
        int n = 3;
        double[][] h = new double[n][];
        float[] x = in.get("x").toFloatArray();
        long[] y = in.get("y").toLongArray();
        for (int i = 0; i < n; i++) {
            h[i] = new double[784];
            for (int k = 0; k < 784; k++) h[i][k] = x[i * 784 + k];
        }
        double[][] lastHidden = null;
        for (String layer : new String[]{"1", "3", "5"}) {
            Tensor wt = w.get(layer + ".weight");
            float[] wv = wt.toFloatArray(), bv = w.get(layer + ".bias").toFloatArray();
            int outF = wt.size(0), inF = wt.size(1);
            if (layer.equals("5")) lastHidden = h;
            double[][] next = new double[n][outF];
            for (int i = 0; i < n; i++)
                for (int o = 0; o < outF; o++) {
                    double s = bv[o];
                    for (int k = 0; k < inF; k++) s += wv[o * inF + k] * h[i][k];
                    next[i][o] = layer.equals("5") ? s : Math.max(0, s);
                }
            h = next;
        }
        float[] logits = out.get("logits").toFloatArray();
        float[] gradBias = out.get("grad.5.bias").toFloatArray();
        float[] gradWeight = out.get("grad.5.weight").toFloatArray();
        double loss = 0;
        double[] expectGradBias = new double[10];
        double[][] dLogits = new double[n][10];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < 10; c++) {
                assertEquals(h[i][c], logits[i * 10 + c], 1e-4 * Math.max(1, Math.abs(h[i][c])), "logit " + i + "," + c);
                max = Math.max(max, h[i][c]);
            }
            for (int c = 0; c < 10; c++) sum += Math.exp(h[i][c] - max);
            loss += -(h[i][(int) y[i]] - max - Math.log(sum)) / n;
            for (int c = 0; c < 10; c++) {
                dLogits[i][c] = (Math.exp(h[i][c] - max) / sum - (c == y[i] ? 1 : 0)) / n;
                expectGradBias[c] += dLogits[i][c];
            }
        }
        assertEquals(loss, out.get("loss").item(), 1e-5);
        for (int c = 0; c < 10; c++) assertEquals(expectGradBias[c], gradBias[c], 1e-6, "grad of 5.bias[" + c + "]");
        for (int c = 0; c < 10; c++)
            for (int k = 0; k < 128; k++) {
                double g = 0;
                for (int i = 0; i < n; i++) g += dLogits[i][c] * lastHidden[i][k];
                assertEquals(g, gradWeight[c * 128 + k], 1e-5, "grad of 5.weight[" + c + "," + k + "]");
            }
    }
}
