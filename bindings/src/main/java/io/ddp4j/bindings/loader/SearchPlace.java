package io.ddp4j.bindings.loader;

import java.nio.file.Path;

/** A folder ddp4j looks in for a library, and why it looks there (shown when loading fails). */
public record SearchPlace(Path folder, String origin) {
    @Override
    public String toString() {
        return folder + "  (" + origin + ")";
    }
}
