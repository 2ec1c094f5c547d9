package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.ddp4j.bindings.CublasException;
import io.ddp4j.bindings.OutParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@link LtMatmulSpec} made ready to run many times: it owns the operation descriptor, the
 * three matrix layouts (C and D share one) and the algorithm the heuristic picked once, so a
 * training step only sets the epilogue pointers and launches.
 *
 * <p>Not thread-safe: {@link #run} writes the bias and aux pointers into the descriptor. Use one
 * plan per thread (plans are cheap next to the GEMMs they run).
 */
public final class LtMatmulPlan implements AutoCloseable {
    /** How many candidates to ask the heuristic for; the first that succeeded is used. */
    static final int CANDIDATES = 8;

    private final LtMatmulSpec spec;
    private final LtHandle lt;
    private final LtMatmulDesc desc;
    private final LtMatrixLayout aLayout, bLayout, cLayout;
    private final Arena arena;
    private final MemorySegment algo;
    private final LtHeuristicResult chosen;
    private boolean closed;

    private LtMatmulPlan(LtMatmulSpec spec, LtHandle lt, LtMatmulDesc desc, LtMatrixLayout a, LtMatrixLayout b, LtMatrixLayout c,
                         Arena arena, MemorySegment algo, LtHeuristicResult chosen) {
        this.spec = spec;
        this.lt = lt;
        this.desc = desc;
        this.aLayout = a;
        this.bLayout = b;
        this.cLayout = c;
        this.arena = arena;
        this.algo = algo;
        this.chosen = chosen;
    }

    /**
     * Builds the descriptors for {@code spec} and asks cuBLASLt's heuristic for the best
     * algorithm needing at most {@code maxWorkspaceBytes}. {@code lt} is borrowed: it must stay
     * open while the plan is used. Throws {@link CublasException} with
     * {@code CUBLAS_STATUS_NOT_SUPPORTED} when no algorithm fits.
     */
    public static LtMatmulPlan create(LtHandle lt, LtMatmulSpec spec, long maxWorkspaceBytes) {
        List<AutoCloseable> made = new ArrayList<>();
        Arena arena = Arena.ofShared();
        made.add(arena);
        try {
            LtMatmulDesc desc = keep(made, LtMatmulDesc.create(spec.computeType(), CudaDataType.CUDA_R_32F));
            desc.setInt(CublasLt.CUBLASLT_MATMUL_DESC_TRANSA, spec.transa())
                .setInt(CublasLt.CUBLASLT_MATMUL_DESC_TRANSB, spec.transb())
                .setInt(CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE, spec.epilogue().value());
            // The heuristic does not read the epilogue pointers, but judges their alignment from
            // their values: a stand-in address aligned exactly as promised keeps it from picking
            // an algorithm that needs more than the real pointers will have.
            if (spec.epilogue().usesBiasPointer()) {
                desc.setInt(CublasLt.CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, spec.cType())
                    .setLong(CublasLt.CUBLASLT_MATMUL_DESC_BIAS_POINTER, spec.alignmentBytes());
            }
            if (spec.epilogue().aux().present()) {
                desc.setLong(CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD, spec.auxLd())
                    .setLong(CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, spec.alignmentBytes());
            }
            LtMatrixLayout a = keep(made, LtMatrixLayout.create(spec.aType(), spec.aRows(), spec.aCols(), spec.lda()));
            LtMatrixLayout b = keep(made, LtMatrixLayout.create(spec.bType(), spec.bRows(), spec.bCols(), spec.ldb()));
            LtMatrixLayout c = keep(made, LtMatrixLayout.create(spec.cType(), spec.m(), spec.n(), spec.ldc()));

            MemorySegment algo = arena.allocate(LtHeuristicResult.ALGO_LAYOUT);
            LtHeuristicResult chosen;
            try (LtMatmulPreference pref = LtMatmulPreference.create(); Arena scratch = Arena.ofConfined()) {
                pref.setMaxWorkspaceBytes(maxWorkspaceBytes).setMinAlignmentBytes(spec.alignmentBytes());
                MemorySegment results = scratch.allocate(LtHeuristicResult.LAYOUT, CANDIDATES);
                int found = CublasLt.cublasLtMatmulAlgoGetHeuristic(lt.handle(), desc.handle(), a.handle(), b.handle(),
                        c.handle(), c.handle(), pref.handle(), CANDIDATES, results.address());
                chosen = null;
                for (int i = 0; i < found && chosen == null; i++) {
                    LtHeuristicResult r = LtHeuristicResult.read(results, i);
                    if (r.succeeded() && r.workspaceSize() <= maxWorkspaceBytes) {
                        algo.copyFrom(LtHeuristicResult.algo(results, i));
                        chosen = r;
                    }
                }
                if (chosen == null) {
                    throw new CublasException("cublasLtMatmulAlgoGetHeuristic", Cublas.CUBLAS_STATUS_NOT_SUPPORTED,
                            CublasErrors.tableName(Cublas.CUBLAS_STATUS_NOT_SUPPORTED),
                            "cuBLASLt has no algorithm for " + spec + " within " + maxWorkspaceBytes + " bytes of workspace ("
                                    + found + " candidates, none usable)");
                }
            }
            return new LtMatmulPlan(spec, lt, desc, a, b, c, arena, algo, chosen);
        } catch (RuntimeException | Error e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                try { made.get(i).close(); } catch (Exception suppressed) { e.addSuppressed(suppressed); }
            }
            throw e;
        }
    }

    private static <T extends AutoCloseable> T keep(List<AutoCloseable> made, T resource) {
        made.add(resource);
        return resource;
    }

    public LtMatmulSpec spec() {
        return spec;
    }

    /** Bytes of workspace the chosen algorithm needs; {@link #run} must get at least this many. */
    public long workspaceSize() {
        return chosen.workspaceSize();
    }

    /** The heuristic's estimate of how fully the chosen algorithm occupies the GPU. */
    public float wavesCount() {
        return chosen.wavesCount();
    }

    /**
     * Enqueues {@code D = epilogue(alpha op(A) op(B) + beta C)} on {@code stream}. {@code bias}
     * is the bias (read) or bias-gradient (written) vector of {@link LtMatmulSpec#biasLength()}
     * elements, {@code aux} the epilogue's aux matrix ({@link LtMatmulSpec#auxBytes()} bytes);
     * each is 0 when the epilogue has none. C may be D (then beta = 0 ignores its content).
     */
    public void run(long A, long B, long C, long D, float alpha, float beta, long bias, long aux,
                    long workspace, long workspaceBytes, long stream) {
        if (closed) throw new IllegalStateException("LtMatmulPlan is closed");
        checkPointers(spec, chosen.workspaceSize(), A, B, C, D, bias, aux, workspace, workspaceBytes);
        if (spec.epilogue().usesBiasPointer()) desc.setLong(CublasLt.CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
        if (spec.epilogue().aux().present()) desc.setLong(CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, aux);
        MemorySegment s = OutParams.raw();
        s.set(JAVA_FLOAT, 0, alpha);
        s.set(JAVA_FLOAT, 8, beta);
        long c = cLayout.handle();
        CublasLt.cublasLtMatmul(lt.handle(), desc.handle(), s.address(), A, aLayout.handle(), B, bLayout.handle(),
                s.address() + 8, C, c, D, c, algo.address(), workspace, workspaceBytes, stream);
    }

    /** {@code D = epilogue(op(A) op(B))}: alpha 1, beta 0. */
    public void run(long A, long B, long D, long bias, long aux, long workspace, long workspaceBytes, long stream) {
        run(A, B, D, D, 1f, 0f, bias, aux, workspace, workspaceBytes, stream);
    }

    /** Rejects what would make the GPU fault or the library misread, naming the value. */
    static void checkPointers(LtMatmulSpec spec, long workspaceNeeded, long A, long B, long C, long D, long bias, long aux,
                              long workspace, long workspaceBytes) {
        requirePointer(spec, "A", A);
        requirePointer(spec, "B", B);
        requirePointer(spec, "C", C);
        requirePointer(spec, "D", D);
        if (spec.epilogue().usesBiasPointer()) requirePointer(spec, "bias", bias);
        else if (bias != 0) throw new IllegalArgumentException("a bias pointer was given, but epilogue " + spec.epilogue() + " has no bias");
        if (spec.epilogue().aux().present()) requirePointer(spec, "aux", aux);
        else if (aux != 0) throw new IllegalArgumentException("an aux pointer was given, but epilogue " + spec.epilogue() + " has no aux matrix");
        if (workspaceBytes < workspaceNeeded) {
            throw new IllegalArgumentException("the chosen algorithm needs " + workspaceNeeded + " bytes of workspace, got "
                    + workspaceBytes);
        }
        if (workspaceBytes > 0 && workspace == 0) throw new IllegalArgumentException("workspace of " + workspaceBytes + " bytes at address 0");
    }

    private static void requirePointer(LtMatmulSpec spec, String what, long p) {
        if (p == 0) throw new IllegalArgumentException(what + " is a null pointer (epilogue " + spec.epilogue() + ")");
        if (Long.remainderUnsigned(p, spec.alignmentBytes()) != 0) {
            throw new IllegalArgumentException(what + " at 0x" + Long.toHexString(p) + " is not aligned to the "
                    + spec.alignmentBytes() + " bytes the plan was made for (LtMatmulSpec.withAlignment)");
        }
    }

    /** Frees the descriptors; the LtHandle stays open. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try (arena; desc; aLayout; bLayout; cLayout) {
            // try-with-resources closes each, and keeps closing after one fails
        }
    }
}
