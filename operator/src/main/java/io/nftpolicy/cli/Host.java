package io.nftpolicy.cli;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What the commands need of the machine: root, the nft and ip programs, and libnftables. */
public interface Host {
    /** Whether the process runs with effective user id 0. */
    boolean isRoot();

    /**
     * A libnftables context acting on the network namespace this process runs in ({@code netns} null), or on the
     * named one ({@code /var/run/netns/NAME}). Tests replace it to stand for a machine without the library.
     *
     * @throws io.nftpolicy.backend.libnftables.NftablesUnavailableException libnftables is missing or too old
     * @throws NftablesException the namespace cannot be entered, or the context not created
     */
    default Nftables nftables(String netns) throws NftablesException {
        return netns == null ? Nftables.open() : Nftables.openInNamespace(netns);
    }

    /** The program of that name on PATH, where the lab looks for ip and nft. */
    Optional<Path> findProgram(String name);

    static Host system() {
        return new Host() {
            @Override
            public boolean isRoot() {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                        if (line.startsWith("Uid:")) {
                            String[] ids = line.substring(4).trim().split("\\s+");
                            return ids.length > 1 && ids[1].equals("0");
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // not Linux, or /proc not mounted: fall back to the user name
                }
                return "root".equals(System.getProperty("user.name"));
            }

            @Override
            public Optional<Path> findProgram(String name) {
                List<String> directories = new ArrayList<>();
                String path = System.getenv("PATH");
                if (path != null) {
                    directories.addAll(List.of(path.split(File.pathSeparator)));
                }
                for (String directory : directories) {
                    if (directory.isEmpty()) {
                        continue;
                    }
                    try {
                        Path candidate = Path.of(directory, name);
                        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                            return Optional.of(candidate);
                        }
                    } catch (InvalidPathException e) {
                        // a PATH entry that is not a path: skip it
                    }
                }
                return Optional.empty();
            }
        };
    }
}
