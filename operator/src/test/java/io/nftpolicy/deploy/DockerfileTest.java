package io.nftpolicy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.nftpolicy.apiserver.AgentProcess;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The repository's Dockerfile, read as text: the image deploy/base/daemonset.yaml runs. */
class DockerfileTest {
    private final Dockerfile dockerfile = read();

    private static Dockerfile read() {
        try {
            return Dockerfile.read(Repository.path("Dockerfile"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The packages of the runtime stage's apt-get install commands. */
    private List<String> installedPackages() {
        return dockerfile.runtime().arguments("RUN").stream()
                .flatMap(run -> Arrays.stream(run.split("&&")))
                .map(String::strip)
                .filter(command -> command.matches("apt-get\\s+(-\\S+\\s+)*install\\b.*"))
                .flatMap(command -> Arrays.stream(command.split("\\s+")).skip(1))
                .filter(word -> !word.startsWith("-") && !word.equals("install"))
                .toList();
    }

    /** ENTRYPOINT in exec form, as its words. */
    private List<String> entrypoint() {
        List<String> entrypoints = dockerfile.runtime().arguments("ENTRYPOINT");
        assertThat(entrypoints).hasSize(1);
        String json = entrypoints.get(0);
        assertThat(json).as("exec form, so the agent is PID 1 and gets SIGTERM").startsWith("[").endsWith("]");
        Matcher word = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        List<String> words = new java.util.ArrayList<>();
        while (word.find()) {
            words.add(word.group(1));
        }
        return words;
    }

    @Test
    void isMultiStageWithAMavenBuildAndAJarCopiedIntoTheRuntime() {
        assertThat(dockerfile.stages()).hasSizeGreaterThanOrEqualTo(2);
        Dockerfile.Stage build = dockerfile.stages().get(0);
        assertThat(build.name()).isNotBlank();
        assertThat(build.image()).startsWith("maven:").contains("17");
        assertThat(build.arguments("RUN")).anyMatch(run -> run.matches("mvn .*-pl operator -am .*package.*"));
        assertThat(dockerfile.runtime().arguments("COPY"))
                .anyMatch(copy -> copy.startsWith("--from=" + build.name() + " ") && copy.contains(".jar"));
    }

    @Test
    void theImageCarriesTheJarWithoutTheLab() {
        assertThat(dockerfile.runtime().arguments("COPY"))
                .anyMatch(copy -> copy.contains("/operator/target/nftpolicy-agent.jar "))
                .noneMatch(copy -> copy.contains("/operator/target/nftpolicy.jar "));
    }

    @Test
    void everyStageIsPinnedByDigest() {
        // A tag moves; a digest names the exact image, so two builds of one commit start from the same bytes.
        assertThat(dockerfile.stages()).allSatisfy(stage -> assertThat(stage.image())
                .matches("[^@\\s]+:[^@\\s]+@sha256:[0-9a-f]{64}"));
    }

    @Test
    void runtimeStageIsDebian12() {
        assertThat(dockerfile.runtime().image()).matches("debian:(12|bookworm)(-slim)?@sha256:[0-9a-f]{64}");
    }

    @Test
    void buildStageMakesAJlinkRuntimeFromTheModulesJdepsListsAndStartsTheJarOnIt() {
        Dockerfile.Stage build = dockerfile.stages().get(0);
        assertThat(build.arguments("COPY")).contains("deploy/image/jlink-runtime /usr/local/bin/");
        assertThat(build.arguments("RUN")).anyMatch(run -> run.startsWith(
                "jlink-runtime operator/target/nftpolicy-agent.jar /opt/java ")
                && run.contains("/opt/java/bin/java -jar operator/target/nftpolicy-agent.jar version"));
        assertThat(dockerfile.runtime().arguments("COPY")).contains("--from=" + build.name() + " /opt/java /opt/java");
    }

    @Test
    void theJlinkScriptAsksJdepsAndAddsTheModulesLoadedByName() throws IOException {
        String script = java.nio.file.Files.readString(Repository.path("deploy/image/jlink-runtime"));
        assertThat(script).contains("jdeps\" --print-module-deps --ignore-missing-deps --multi-release 17")
                .contains("by_name=jdk.crypto.ec,jdk.management")
                .contains("jlink\" --add-modules \"$modules\"");
    }

    @Test
    void runtimeStageInstallsLibnftablesAndNoJava() {
        assertThat(installedPackages()).contains("libnftables1")
                .as("the jlink runtime replaces a packaged Java").noneMatch(p -> p.matches("(openjdk|default)-.*"));
        assertThat(dockerfile.runtime().arguments("RUN")).as("small: apt lists removed")
                .anyMatch(run -> run.contains("rm -rf /var/lib/apt/lists/*"));
    }

    @Test
    void entrypointRunsTheJarThatTheRuntimeStageCopiesOnTheJlinkRuntime() {
        List<String> entrypoint = entrypoint();
        assertThat(entrypoint.get(0)).isEqualTo("/opt/java/bin/java");
        int jar = entrypoint.indexOf("-jar");
        assertThat(jar).isPositive();
        String jarPath = entrypoint.get(jar + 1);
        assertThat(dockerfile.runtime().arguments("COPY")).anyMatch(copy -> copy.endsWith(" " + jarPath));
        assertThat(jarPath).endsWith("/nftpolicy.jar");
    }

    @Test
    void measurementsRunTheAgentWithTheImagesJvmOptionsUnderTheDaemonSetsMemoryLimit() {
        List<String> entrypoint = entrypoint();
        List<String> imageOptions = entrypoint.subList(1, entrypoint.indexOf("-jar"));
        List<String> measured = AgentProcess.IMAGE_JVM_OPTIONS;
        assertThat(measured.stream().filter(o -> !o.startsWith("-XX:MaxRAM=")).toList())
                .as("AgentProcess.IMAGE_JVM_OPTIONS are the ENTRYPOINT's, plus MaxRAM for the container's limit")
                .isEqualTo(imageOptions);
        String maxRam = measured.stream().filter(o -> o.startsWith("-XX:MaxRAM=")).findFirst()
                .orElseThrow(() -> new AssertionError("no -XX:MaxRAM in AgentProcess.IMAGE_JVM_OPTIONS"));
        DaemonSet daemonSet = Manifests.one("daemonset.yaml", DaemonSet.class);
        Quantity limit = daemonSet.getSpec().getTemplate().getSpec().getContainers().get(0).getResources()
                .getLimits().get("memory");
        assertThat(maxRam).as("MaxRAM stands for the DaemonSet's memory limit")
                .isEqualTo("-XX:MaxRAM=" + Quantity.getAmountInBytes(limit).longValueExact() / (1024 * 1024) + "m");
    }

    @Test
    void runsAsRootLikeTheDaemonSetSays() {
        // uid 0 with only NET_ADMIN (the DaemonSet's securityContext); the Dockerfile explains why.
        assertThat(dockerfile.runtime().arguments("USER")).allMatch(user -> user.equals("0") || user.equals("root"));
        DaemonSet daemonSet = Manifests.one("daemonset.yaml", DaemonSet.class);
        assertThat(daemonSet.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext()
                .getRunAsUser()).isZero();
    }
}
