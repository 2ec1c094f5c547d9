package io.ddp4j.ddp.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers get this JVM's class path and what loaders below the system one add: under JUnit's
 * console launcher (the GPU machine's test runner) java.class.path is only the launcher's jar.
 */
class WorkerClassPathTest {

    /** A class path's entries; an empty one (surefire ends java.class.path with a separator) names nothing. */
    private static List<String> entries(String classPath) {
        return java.util.Arrays.stream(classPath.split(File.pathSeparator)).filter(e -> !e.isEmpty()).toList();
    }

    @Test
    void theSystemLoaderAloneGivesJavaClassPath() {
        assertEquals(entries(System.getProperty("java.class.path")), entries(WorkerClassPath.of(ClassLoader.getSystemClassLoader())));
    }

    @Test
    void aChildLoadersFoldersAndJarsFollowJavaClassPathOnceEach(@TempDir Path dir) throws Exception {
        Path classes = dir.resolve("classes"), jar = dir.resolve("app.jar");
        String first = System.getProperty("java.class.path").split(File.pathSeparator)[0];
        URL[] urls = {classes.toUri().toURL(), jar.toUri().toURL(), Path.of(first).toUri().toURL(), URI.create("http://example.com/remote.jar").toURL()};
        try (URLClassLoader outer = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getSystemClassLoader());
             URLClassLoader inner = new URLClassLoader(urls, outer)) {
            List<String> got = entries(WorkerClassPath.of(inner));
            List<String> own = entries(System.getProperty("java.class.path"));
            assertEquals(own, got.subList(0, own.size()), "java.class.path comes first, in order");
            assertEquals(List.of(classes.toString(), jar.toString()), got.subList(own.size(), got.size()),
                    "then the loaders' files, each once (the outer loader's jar is the inner's too), and no http URL");
        }
    }

    @Test
    void theLauncherTakesItsThreadsContextLoader(@TempDir Path dir) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        try (URLClassLoader runner = new URLClassLoader(new URL[] {dir.toUri().toURL()}, ClassLoader.getSystemClassLoader())) {
            t.setContextClassLoader(runner);
            assertTrue(entries(WorkerClassPath.ofThisThread()).contains(dir.toString()));
        } finally {
            t.setContextClassLoader(before);
        }
    }
}
