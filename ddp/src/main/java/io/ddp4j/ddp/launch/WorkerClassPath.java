package io.ddp4j.ddp.launch;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The class path a worker JVM is started with: this JVM's {@code java.class.path}, then the
 * folders and jars that class loaders below the system one added. Those matter when ddp4j itself
 * was loaded by such a loader (JUnit's console launcher, started with {@code -jar} and handed the
 * project's class path, which is how the GPU machine runs the tests; an application server): then
 * {@code java.class.path} alone does not hold the target class, and every worker would fail with
 * "Could not find or load main class".
 */
final class WorkerClassPath {
    private WorkerClassPath() {}

    static String of(ClassLoader... loaders) {
        Set<String> entries = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) if (!e.isEmpty()) entries.add(e);
        ClassLoader system = ClassLoader.getSystemClassLoader();
        for (ClassLoader loader : loaders) {
            for (ClassLoader l = loader; l != null && l != system; l = l.getParent()) {
                if (l instanceof URLClassLoader u) addFiles(u.getURLs(), entries);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void addFiles(URL[] urls, Set<String> entries) {
        for (URL url : urls) {
            if (!"file".equals(url.getProtocol())) continue;
            try {
                entries.add(Path.of(url.toURI()).toString());
            } catch (URISyntaxException | IllegalArgumentException notAFile) {
                // a URL no worker could use: leave it out
            }
        }
    }

    /** The class path for workers of a launcher made in this thread: its context loader's and ddp4j's own. */
    static String ofThisThread() {
        return of(Thread.currentThread().getContextClassLoader(), WorkerClassPath.class.getClassLoader());
    }
}
