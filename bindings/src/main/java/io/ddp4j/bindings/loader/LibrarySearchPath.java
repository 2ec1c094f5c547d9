package io.ddp4j.bindings.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The ordered folders searched for an NVIDIA library: {@code DDP4J_CUDA_PATH} first (the user's
 * explicit choice), then {@code java.library.path}, {@code LD_LIBRARY_PATH}, the CUDA toolkit,
 * the system library folders, and the NVIDIA Python wheels (where PyTorch keeps its copies).
 * The environment is passed in, so tests can describe any machine.
 */
public final class LibrarySearchPath {

    private static final List<String> TOOLKIT_SUFFIXES = List.of("lib64", "lib", "targets/x86_64-linux/lib", "targets/sbsa-linux/lib");
    private static final List<String> SYSTEM_FOLDERS = List.of(
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib");
    private static final List<String> PYTHON_ROOTS = List.of("/usr/lib", "/usr/local/lib", "/opt/conda/lib");

    private final Function<String, String> env;
    private final Function<String, String> properties;

    public LibrarySearchPath(Function<String, String> env, Function<String, String> properties) {
        this.env = env;
        this.properties = properties;
    }

    /** The search path of this JVM. */
    public static LibrarySearchPath ofThisProcess() {
        return new LibrarySearchPath(System::getenv, System::getProperty);
    }

    public static LibrarySearchPath of(Map<String, String> env, Map<String, String> properties) {
        return new LibrarySearchPath(env::get, properties::get);
    }

    /**
     * Every folder to try for {@code spec}, in order, without duplicates; only those of
     * {@code DDP4J_CUDA_PATH} for a library the system's loader must otherwise choose
     * ({@link LibrarySpec#explicitPathOnly()}).
     */
    public List<SearchPlace> places(LibrarySpec spec) {
        Set<Path> seen = new LinkedHashSet<>();
        List<SearchPlace> out = new ArrayList<>();
        for (String dir : split(env.apply("DDP4J_CUDA_PATH"))) {
            add(out, seen, Path.of(dir), "DDP4J_CUDA_PATH");
            for (String s : TOOLKIT_SUFFIXES) add(out, seen, Path.of(dir, s), "DDP4J_CUDA_PATH");
        }
        if (spec.explicitPathOnly()) return out;
        for (String dir : split(properties.apply("java.library.path"))) add(out, seen, Path.of(dir), "java.library.path");
        for (String dir : split(env.apply("LD_LIBRARY_PATH"))) add(out, seen, Path.of(dir), "LD_LIBRARY_PATH");
        List<String> toolkits = new ArrayList<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.apply(var);
            if (v != null && !v.isBlank()) toolkits.add(v);
        }
        toolkits.add("/usr/local/cuda");
        toolkits.add("/usr/local/cuda-13");
        for (String root : toolkits) for (String s : TOOLKIT_SUFFIXES) add(out, seen, Path.of(root, s), "CUDA toolkit");
        for (String dir : SYSTEM_FOLDERS) add(out, seen, Path.of(dir), "system library folder");
        for (Path site : pythonSitePackages()) {
            for (String wheel : spec.wheelFolders()) add(out, seen, site.resolve("nvidia").resolve(wheel).resolve("lib"), "NVIDIA Python wheel");
        }
        return out;
    }

    /** site-packages and dist-packages folders of the Pythons that may hold NVIDIA wheels. */
    private List<Path> pythonSitePackages() {
        List<Path> roots = new ArrayList<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.apply(var);
            if (v != null && !v.isBlank()) roots.add(Path.of(v, "lib"));
        }
        String home = env.apply("HOME");
        if (home != null && !home.isBlank()) roots.add(Path.of(home, ".local", "lib"));
        for (String r : PYTHON_ROOTS) roots.add(Path.of(r));
        List<Path> sites = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            try (Stream<Path> pythons = Files.list(root)) {
                pythons.filter(p -> p.getFileName().toString().startsWith("python3")).sorted().forEach(p -> {
                    sites.add(p.resolve("site-packages"));
                    sites.add(p.resolve("dist-packages"));
                });
            } catch (IOException ignored) {
                // an unreadable folder is simply not a place to look
            }
        }
        return sites;
    }

    private static void add(List<SearchPlace> out, Set<Path> seen, Path dir, String origin) {
        Path norm = dir.toAbsolutePath().normalize();
        if (seen.add(norm)) out.add(new SearchPlace(norm, origin));
    }

    private static List<String> split(String pathList) {
        if (pathList == null || pathList.isBlank()) return List.of();
        List<String> out = new ArrayList<>();
        for (String s : pathList.split(":")) if (!s.isBlank()) out.add(s.trim());
        return out;
    }
}
