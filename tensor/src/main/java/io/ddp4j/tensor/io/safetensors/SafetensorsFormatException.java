package io.ddp4j.tensor.io.safetensors;

/** A safetensors file that breaks the format's rules; the message names the file and what is wrong. */
public final class SafetensorsFormatException extends RuntimeException {
    public SafetensorsFormatException(String source, String problem) {
        super(source + ": " + problem);
    }

    public SafetensorsFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
