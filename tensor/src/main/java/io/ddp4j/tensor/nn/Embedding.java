package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;

/**
 * A lookup table of {@code numEmbeddings} vectors of size {@code embeddingDim}, PyTorch's
 * {@code nn.Embedding}: weight [num, dim] drawn from N(0, 1); int64 indices of any shape give
 * indices.shape + [dim].
 */
public final class Embedding extends Module {
    private final int numEmbeddings;
    private final int embeddingDim;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, Init.defaultGenerator());
    }

    public Embedding(int numEmbeddings, int embeddingDim, Generator gen) {
        if (numEmbeddings < 1 || embeddingDim < 1)
            throw new IllegalArgumentException("Embedding: num_embeddings and embedding_dim must be >= 1, got " + numEmbeddings + " and " + embeddingDim);
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        registerParameter("weight", Init.normal(gen, 0, 1, numEmbeddings, embeddingDim));
    }

    public Tensor weight() {
        return parameter("weight");
    }

    @Override
    public Tensor forward(Tensor indices) {
        if (indices.dtype() != DType.I64)
            throw new IllegalArgumentException(describe() + ": indices must be int64, got " + indices.describe());
        return Functional.embedding(indices, weight());
    }

    @Override
    public String describe() {
        return "Embedding(" + numEmbeddings + ", " + embeddingDim + ")";
    }
}
