package io.ddp4j.bindings.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The values the bindings pass to cuBLAS, written down from the headers so CI checks them even
 * where the headers are not installed (HeaderConstantsTest compares against the real files when
 * they are). Source: cublas_api.h and cublasLt.h of cuBLAS 13.x (CUDA 13 for Windows, as
 * published in github.com/wesleyrparsons/WesChat12), agreeing with the cuBLAS 12.x cublasLt.h
 * and NVIDIA's nvmath-python enum listing; library_types.h of the local CUDA 13.0 toolkit.
 */
class CublasConstantsTest {

    @Test
    void cublasApiEnums() {
        assertEquals(0, Cublas.CUBLAS_OP_N);
        assertEquals(1, Cublas.CUBLAS_OP_T);
        assertEquals(2, Cublas.CUBLAS_OP_C);
        assertEquals(0, Cublas.CUBLAS_POINTER_MODE_HOST);
        assertEquals(1, Cublas.CUBLAS_POINTER_MODE_DEVICE);
        assertEquals(0, Cublas.CUBLAS_DEFAULT_MATH);
        assertEquals(3, Cublas.CUBLAS_TF32_TENSOR_OP_MATH);
        assertEquals(68, Cublas.CUBLAS_COMPUTE_32F);
        assertEquals(77, Cublas.CUBLAS_COMPUTE_32F_FAST_TF32);
        assertEquals(75, Cublas.CUBLAS_COMPUTE_32F_FAST_16BF);
        assertEquals(70, Cublas.CUBLAS_COMPUTE_64F);
        assertEquals(-1, Cublas.CUBLAS_GEMM_DEFAULT);
        assertEquals(99, Cublas.CUBLAS_GEMM_DEFAULT_TENSOR_OP);
        assertEquals(7, Cublas.CUBLAS_STATUS_INVALID_VALUE);
        assertEquals(15, Cublas.CUBLAS_STATUS_NOT_SUPPORTED);
    }

    @Test
    void cudaDataTypes() {
        assertEquals(0, CudaDataType.CUDA_R_32F);
        assertEquals(1, CudaDataType.CUDA_R_64F);
        assertEquals(2, CudaDataType.CUDA_R_16F);
        assertEquals(3, CudaDataType.CUDA_R_8I);
        assertEquals(10, CudaDataType.CUDA_R_32I);
        assertEquals(14, CudaDataType.CUDA_R_16BF);
        assertEquals(2, CudaDataType.byteSize(CudaDataType.CUDA_R_16BF));
        assertEquals(4, CudaDataType.byteSize(CudaDataType.CUDA_R_32F));
        assertEquals("CUDA_R_16BF", CudaDataType.name(14));
        assertEquals("cudaDataType(99)", CudaDataType.name(99));
        assertThrows(IllegalArgumentException.class, () -> CudaDataType.byteSize(99));
    }

    @Test
    void cublasLtAttributes() {
        assertEquals(0, CublasLt.CUBLASLT_MATMUL_DESC_COMPUTE_TYPE);
        assertEquals(1, CublasLt.CUBLASLT_MATMUL_DESC_SCALE_TYPE);
        assertEquals(3, CublasLt.CUBLASLT_MATMUL_DESC_TRANSA);
        assertEquals(4, CublasLt.CUBLASLT_MATMUL_DESC_TRANSB);
        assertEquals(7, CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE);
        assertEquals(8, CublasLt.CUBLASLT_MATMUL_DESC_BIAS_POINTER);
        assertEquals(11, CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER);
        assertEquals(12, CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD);
        assertEquals(26, CublasLt.CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE);
        assertEquals(1, CublasLt.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES);
        assertEquals(5, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES);
        assertEquals(8, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES);
        assertEquals(4, CublasLt.CUBLASLT_MATRIX_LAYOUT_LD);
        assertEquals(5, CublasLt.CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT);
        assertEquals(6, CublasLt.CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET);
    }

    @Test
    void floatScalarComputeTypes() {
        assertTrue(Cublas.hasFloatScalars(Cublas.CUBLAS_COMPUTE_32F));
        assertTrue(Cublas.hasFloatScalars(Cublas.CUBLAS_COMPUTE_32F_FAST_TF32));
        assertFalse(Cublas.hasFloatScalars(Cublas.CUBLAS_COMPUTE_64F));
        assertFalse(Cublas.hasFloatScalars(Cublas.CUBLAS_COMPUTE_16F));
        assertFalse(Cublas.hasFloatScalars(Cublas.CUBLAS_COMPUTE_32I));
    }
}
