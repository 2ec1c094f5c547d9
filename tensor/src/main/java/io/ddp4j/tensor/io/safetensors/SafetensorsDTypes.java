package io.ddp4j.tensor.io.safetensors;

import io.ddp4j.tensor.DType;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Maps the dtype strings of safetensors headers to {@link DType}s, telling unknown ones from known but unsupported ones. */
final class SafetensorsDTypes {

    /** Valid in safetensors files but without a ddp4j DType (yet). */
    private static final List<String> KNOWN_UNSUPPORTED = List.of(
            "I8", "I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");

    static final String SUPPORTED = Arrays.stream(DType.values())
            .map(DType::safetensorsName).collect(Collectors.joining(", "));

    private SafetensorsDTypes() {}

    /** The DType for a header's dtype string, or an exception that says why there is none. */
    static DType parse(String name, String tensor, String source) {
        for (DType d : DType.values()) {
            if (d.safetensorsName().equals(name)) return d;
        }
        if (KNOWN_UNSUPPORTED.contains(name)) {
            throw new SafetensorsFormatException(source, "tensor " + Json.quote(tensor) + " has unsupported dtype "
                    + name + ": ddp4j reads " + SUPPORTED);
        }
        throw new SafetensorsFormatException(source, "tensor " + Json.quote(tensor) + " has unknown dtype "
                + Json.quote(name) + ": expected one of " + SUPPORTED);
    }
}
