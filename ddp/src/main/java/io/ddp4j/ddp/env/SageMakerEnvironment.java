package io.ddp4j.ddp.env;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Amazon SageMaker training: SM_HOSTS (a JSON list like {@code ["algo-1","algo-2"]}),
 * SM_CURRENT_HOST and SM_NUM_GPUS. SageMaker runs the entry point once per host, so with several
 * GPUs this is a per-node description (run {@code ddp4j run} as the entry point); with one GPU
 * or none, the host is the rank. The master is the first host.
 */
public final class SageMakerEnvironment implements ClusterEnvironment {
    @Override
    public String name() {
        return "sagemaker";
    }

    @Override
    public boolean detect(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        return e.has("SM_HOSTS") && e.has("SM_CURRENT_HOST");
    }

    @Override
    public ClusterInfo read(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        List<String> hosts = parseJsonStringList(e.string("SM_HOSTS"));
        String current = e.string("SM_CURRENT_HOST");
        int nodeRank = hosts.indexOf(current);
        if (nodeRank < 0) throw new IllegalArgumentException(name() + ": SM_CURRENT_HOST '" + current + "' is not in SM_HOSTS " + hosts);
        int procs = Math.max(1, e.integer("SM_NUM_GPUS", 0));
        int port = e.integer("MASTER_PORT", Defaults.MASTER_PORT);
        String master = hosts.getFirst();
        if (procs > 1) return ClusterInfo.perNode(name(), nodeRank, hosts.size(), procs, master, port);
        return new ClusterInfo(name(), nodeRank, hosts.size(), 0, 1, nodeRank, hosts.size(), master, port);
    }

    /** Just enough JSON for a flat list of strings without escapes, which is what SM_HOSTS holds. */
    static List<String> parseJsonStringList(String json) {
        String s = json.trim();
        if (!s.startsWith("[") || !s.endsWith("]")) throw new IllegalArgumentException("SM_HOSTS is not a JSON list: " + json);
        String body = s.substring(1, s.length() - 1).trim();
        List<String> out = new ArrayList<>();
        if (body.isEmpty()) throw new IllegalArgumentException("SM_HOSTS is an empty list");
        for (String item : body.split(",")) {
            String t = item.trim();
            if (t.length() < 2 || !t.startsWith("\"") || !t.endsWith("\"") || t.substring(1, t.length() - 1).contains("\"")) {
                throw new IllegalArgumentException("SM_HOSTS entry " + t + " is not a JSON string (in " + json + ")");
            }
            out.add(t.substring(1, t.length() - 1));
        }
        return out;
    }
}
