package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/nftpolicy, run on a copy of the repository's layout where Maven is a stand-in that counts its builds and
 * "builds" a jar whose main prints its arguments: when the script builds, and that standard output stays the
 * command's whatever happens to the class-data sharing archive.
 */
class LauncherScriptTest {
    private static final List<String> SOURCES = List.of("pom.xml", "operator/pom.xml", "operator/src/main/java/A.java",
            "policy-compiler/src/main/java/B.java", "benchmarks/pom.xml", "benchmarks/src/main/java/C.java");

    @TempDir
    Path root;

    private Path jar;
    private Path builds;
    private String javaOptions = "";

    @BeforeEach
    void copyTheLayout() throws Exception {
        Path script = Files.createDirectories(root.resolve("bin")).resolve("nftpolicy");
        Files.copy(repository().resolve("bin/nftpolicy"), script);
        script.toFile().setExecutable(true);
        Files.createDirectories(root.resolve("samples/demo"));
        Files.copy(repository().resolve("samples/demo/cluster.yaml"), root.resolve("samples/demo/cluster.yaml"));
        for (String file : SOURCES) {
            Files.createDirectories(root.resolve(file).getParent());
            Files.writeString(root.resolve(file), "");
        }
        Path echoJar = echoJar();
        jar = root.resolve("operator/target/nftpolicy.jar");
        builds = root.resolve("builds.log");
        Path mvn = Files.createDirectories(root.resolve("fake-bin")).resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\necho \"$*\" >> '" + builds + "'\nmkdir -p '" + jar.getParent() + "'\ncp '"
                + echoJar + "' '" + jar + "'\n");
        mvn.toFile().setExecutable(true);
    }

    @Test
    void buildsOnFirstUseKeepingStandardOutputTheCommands() throws Exception {
        assertThat(run("compile", "--input", "x.yaml")).isEqualTo("main: compile --input x.yaml\n");
        assertThat(buildCount()).isEqualTo(1);
    }

    @Test
    void doesNotBuildAgainWhileNoSourceChanged() throws Exception {
        run("--version");
        run("--version");

        assertThat(buildCount()).isEqualTo(1);
    }

    @Test
    void buildsAgainWhenAModuleSourceIsNewerThanTheJar() throws Exception {
        run("--version");
        touchLater("policy-compiler/src/main/java/B.java");

        assertThat(run("--version")).isEqualTo("main: --version\n");
        assertThat(buildCount()).isEqualTo(2);
        run("--version");
        assertThat(buildCount()).isEqualTo(2);
    }

    @Test
    void buildsAgainWhenAPomChanges() throws Exception {
        run("--version");
        touchLater("pom.xml");
        run("--version");

        assertThat(buildCount()).isEqualTo(2);
    }

    @Test
    void benchmarkSourcesAreNotInTheJarAndDoNotBuildIt() throws Exception {
        run("--version");
        touchLater("benchmarks/src/main/java/C.java");
        touchLater("benchmarks/pom.xml");
        run("--version");

        assertThat(buildCount()).isEqualTo(1);
    }

    @Test
    void makesAClassDataSharingArchiveAfterABuild() throws Exception {
        run(true, "--version");

        assertThat(root.resolve("operator/target/nftpolicy.jsa")).isNotEmptyFile();
    }

    @Test
    void laterRunsStartFromTheArchive() throws Exception {
        run(true, "--version");
        javaOptions = "-Xshare:on"; // the JVM refuses to start when it cannot use the archive

        assertThat(run(true, "--version")).isEqualTo("main: --version\n");
    }

    @Test
    void anUnusableArchiveNeverBreaksTheCommand() throws Exception {
        run(true, "--version");
        Path archive = root.resolve("operator/target/nftpolicy.jsa");
        Files.writeString(archive, "not an archive");
        Files.setLastModifiedTime(archive, FileTime.from(Instant.now().plusSeconds(60)));

        assertThat(run(true, "explain", "--all")).isEqualTo("main: explain --all\n");
    }

    @Test
    void anArchiveOfAnotherJarNeverBreaksTheCommand() throws Exception {
        run(true, "--version");
        Path archive = root.resolve("operator/target/nftpolicy.jsa");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60)));
        Files.setLastModifiedTime(archive, FileTime.from(Instant.now().plusSeconds(120))); // looks fresh, is not

        assertThat(run(true, "--version")).isEqualTo("main: --version\n");
    }

    private String run(String... args) throws IOException, InterruptedException {
        return run(false, args);
    }

    /** Runs the script; the archive is made (a training run) only where the test is about it. */
    private String run(boolean archive, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(root.resolve("bin/nftpolicy").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PATH", root.resolve("fake-bin") + ":" + System.getenv("PATH"));
        builder.environment().put("NFTPOLICY_CDS", archive ? "1" : "0");
        builder.environment().put("NFTPOLICY_JAVA_OPTS", javaOptions);
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("exit code").isZero();
        return out;
    }

    private long buildCount() throws IOException {
        return Files.exists(builds) ? Files.readAllLines(builds).size() : 0;
    }

    /** Marks one file changed after the jar was built, whatever the clock's granularity: all is made older. */
    private void touchLater(String file) throws IOException {
        Instant now = Instant.now();
        for (String source : SOURCES) {
            Files.setLastModifiedTime(root.resolve(source), FileTime.from(now.minusSeconds(120)));
        }
        Files.setLastModifiedTime(jar, FileTime.from(now.minusSeconds(60)));
        Files.setLastModifiedTime(root.resolve(file), FileTime.from(now.minusSeconds(30)));
    }

    /** A jar whose main prints "main:" and its arguments. */
    private Path echoJar() throws IOException {
        Path source = Files.createDirectories(root.resolve("echo")).resolve("Main.java");
        Files.writeString(source, "public class Main { public static void main(String[] a) {"
                + " System.out.println(\"main: \" + String.join(\" \", a)); } }");
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, null, source.toString());
        assertThat(status).as("javac").isZero();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Main");
        Path echo = root.resolve("echo/echo.jar");
        try (OutputStream file = Files.newOutputStream(echo); JarOutputStream out = new JarOutputStream(file, manifest)) {
            out.putNextEntry(new JarEntry("Main.class"));
            out.write(Files.readAllBytes(root.resolve("echo/Main.class")));
            out.closeEntry();
        }
        return echo;
    }

    private static Path repository() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.exists(dir.resolve("bin/nftpolicy"))) {
            dir = dir.getParent();
        }
        return dir;
    }
}
