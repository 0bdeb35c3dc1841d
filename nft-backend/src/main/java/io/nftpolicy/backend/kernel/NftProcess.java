package io.nftpolicy.backend.kernel;

import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.libnftables.OutputFlag;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Lists a table through a child {@code nft} process ({@code nft -j -t list table inet nftpolicy}), in the network
 * namespace named at creation through {@code nsenter --net}. Why a process: libnftables keeps process-global
 * state, so {@link io.nftpolicy.backend.libnftables.Nftables} makes one library call at a time across the JVM, and
 * a listing of a large table holds the library for long: at 10,000 pods (542 chains, 2,852 rules) the terse JSON
 * listing alone is 1.3 MB and about 0.15 s of CPU, during which a transaction of the sync loop waits. A child
 * process has a libnftables of its own, and the kernel serves its dump and another process's commit side by side.
 * A spawn costs a few milliseconds, so this is for the long listings only.
 */
public final class NftProcess implements KernelTableReader.Lister {
    /** Where the binaries are looked for besides {@code PATH} (a container's PATH may lack the sbin directories). */
    private static final List<String> SBIN = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");
    private static final long TIMEOUT_SECONDS = 60;

    private final List<String> prefix;

    private NftProcess(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    /**
     * The {@code nft} binary, run in network namespace {@code netns} ({@code /var/run/netns/NAME}, through
     * {@code nsenter}), or in this process's when null; empty when a binary is missing.
     */
    public static Optional<NftProcess> find(String netns) {
        Optional<Path> nft = binary("nft");
        if (nft.isEmpty()) {
            return Optional.empty();
        }
        if (netns == null) {
            return Optional.of(new NftProcess(List.of(nft.get().toString())));
        }
        if (!NAME.matcher(netns).matches() || netns.startsWith(".")) {
            throw new IllegalArgumentException("not a network namespace name: " + netns);
        }
        return binary("nsenter").map(nsenter -> new NftProcess(List.of(nsenter.toString(),
                "--net=/var/run/netns/" + netns, nft.get().toString())));
    }

    private static Optional<Path> binary(String name) {
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        dirs.addAll(SBIN);
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name)).filter(Files::isExecutable)
                .findFirst();
    }

    @Override
    public Optional<String> listTable(String family, String table, Set<OutputFlag> flags) throws NftablesException {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(table, "table");
        List<String> command = new ArrayList<>(prefix);
        for (OutputFlag flag : flags) {
            command.add(switch (flag) {
                case JSON -> "-j";
                case TERSE -> "-t";
                case HANDLE -> "-a";
                default -> throw new IllegalArgumentException("no nft option for output flag " + flag);
            });
        }
        command.addAll(List.of("list", "table", family, table));
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new NftablesException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
            // nft writes its errors after its output, and they are short: stdout first, then stderr.
            String out = read(process.getInputStream());
            String err = read(process.getErrorStream());
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new NftablesException(String.join(" ", command) + " did not end within " + TIMEOUT_SECONDS
                        + " s");
            }
            int rc = process.exitValue();
            if (rc == 0) {
                return Optional.of(out);
            }
            if (err.contains("No such file or directory")) {
                return Optional.empty();
            }
            throw new NftablesException(String.join(" ", command) + " failed (exit " + rc + "): " + err.strip());
        } catch (IOException e) {
            throw new NftablesException("reading the output of " + String.join(" ", command) + ": " + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NftablesException("interrupted while " + String.join(" ", command) + " ran", e);
        } finally {
            process.destroy();
        }
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "NftProcess" + prefix;
    }
}
