package io.ddp4j.tensor.data;

/**
 * A map-style data set, PyTorch's {@code torch.utils.data.Dataset}: a size and random access by
 * index. {@link DataLoader} workers call {@link #get} from several threads at once, so an
 * implementation must allow concurrent reads.
 */
public interface Dataset<T> {
    int size();

    /** The sample at {@code index}, 0 &lt;= index &lt; size(). */
    T get(int index);
}
