package io.nftpolicy.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's root directory (crds/, deploy/, Dockerfile), found upwards from the working directory. */
public final class Repository {
    private Repository() {}

    public static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("Dockerfile")) && Files.isDirectory(dir.resolve("crds"))
                    && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root (Dockerfile, crds/, pom.xml) above "
                + Path.of("").toAbsolutePath());
    }

    public static Path path(String relative) {
        return root().resolve(relative);
    }
}
