package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import java.util.List;

/** A host-buffer group that passes every op to {@code host}; tests override the ops they watch or hold back. */
abstract class ForwardingGroup implements ProcessGroup {
    final ProcessGroup host;

    ForwardingGroup(ProcessGroup host) {
        this.host = host;
    }

    @Override public Work allReduce(HostBuffer b, ReduceOp op) { return host.allReduce(b, op); }
    @Override public int rank() { return host.rank(); }
    @Override public int size() { return host.size(); }
    @Override public List<Integer> globalRanks() { return host.globalRanks(); }
    @Override public void close() { host.close(); }
    @Override public Work broadcast(HostBuffer b, int root) { return host.broadcast(b, root); }
    @Override public Work reduce(HostBuffer b, int root, ReduceOp op) { return host.reduce(b, root, op); }
    @Override public Work allGather(HostBuffer o, HostBuffer i) { return host.allGather(o, i); }
    @Override public Work reduceScatter(HostBuffer o, HostBuffer i, ReduceOp op) { return host.reduceScatter(o, i, op); }
    @Override public Work send(HostBuffer b, int peer, int tag) { return host.send(b, peer, tag); }
    @Override public Work recv(HostBuffer b, int peer, int tag) { return host.recv(b, peer, tag); }
    @Override public Work barrier() { return host.barrier(); }
    @Override public Work allReduce(DeviceBuffer b, ReduceOp op) { throw new UnsupportedOperationException("host buffers only"); }
}
