package io.ddp4j.tensor.io.safetensors;

/** Text that is not the JSON it should be; {@link #position()} is the character index where that was found. */
public final class JsonException extends RuntimeException {
    private final int position;

    public JsonException(String problem, int position) {
        super(problem + " at character " + position);
        this.position = position;
    }

    public int position() {
        return position;
    }
}
