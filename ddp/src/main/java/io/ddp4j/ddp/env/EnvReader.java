package io.ddp4j.ddp.env;

import java.util.Map;

/** Typed reads of environment variables whose errors name the variable and the environment. */
record EnvReader(String environment, Map<String, String> env) {

    boolean has(String name) {
        String v = env.get(name);
        return v != null && !v.isBlank();
    }

    String string(String name) {
        if (!has(name)) throw new IllegalArgumentException(environment + ": " + name + " is not set");
        return env.get(name).trim();
    }

    String string(String name, String fallback) {
        return has(name) ? env.get(name).trim() : fallback;
    }

    int integer(String name) {
        String v = string(name);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(environment + ": " + name + "='" + v + "' is not an integer");
        }
    }

    int integer(String name, int fallback) {
        return has(name) ? integer(name) : fallback;
    }

    /** The first of several variables that is set, as an integer. */
    int firstInteger(int fallback, String... names) {
        for (String n : names) if (has(n)) return integer(n);
        return fallback;
    }

    String firstString(String fallback, String... names) {
        for (String n : names) if (has(n)) return string(n);
        return fallback;
    }
}
