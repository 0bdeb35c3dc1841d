package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.libnftables.MissingLibrary;
import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.cli.Cli.Result;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.testing.KernelTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nftpolicy apply} and {@code nftpolicy verify} on the real kernel, each test in a network namespace of its own
 * ({@code --netns}; needs root, skipped otherwise), with the README's demo snapshot for node-1. Each command run is
 * a new {@link picocli.CommandLine} with a fresh applier, as a new process would be: what a later run knows, it read
 * back from the kernel. The exact transactions are checked with {@code --keep-established}, whose table has no flow
 * generation; {@link #byDefaultEveryChangeRaisesTheFlowGenerationAndARepeatedApplyKeepsIt} checks what the default
 * adds to them.
 */
class ApplyCommandTest {
    private static final Path DEMO = Path.of("..", "samples", "demo", "cluster.yaml");
    private static final String NODE = "node-1";
    /** The demo's peer set "pods role=frontend in namespace dev". */
    private static final String FRONTEND_PEERS = "peer-9a3bd8b3-v4";

    /** What relabelling dev/backend adds to node-1's table. */
    private static final String ADD_BACKEND =
            "add element inet nftpolicy " + FRONTEND_PEERS + " { 10.244.2.12 comment \"dev/backend\" }";

    private static final String KEEP = "--keep-established";

    @TempDir
    Path tmp;

    @KernelTest
    @Test
    void byDefaultEveryChangeRaisesTheFlowGenerationAndARepeatedApplyKeepsIt() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-apply")) {
            Result first = cli.run("apply", "--input", DEMO.toString(), "--node", NODE, "--netns", ns.name());
            Result again = cli.run("apply", "--input", DEMO.toString(), "--node", NODE, "--netns", ns.name());
            Result relabelled = cli.run("apply", "--input", relabelled().toString(), "--node", NODE, "--netns",
                    ns.name(), "--dry-run");
            Result verify = cli.run("verify", "--input", DEMO.toString(), "--node", NODE, "--netns", ns.name());

            int generation = Integer.parseInt(fields(first).get("generation").split(" ")[0]);
            assertThat(fields(first)).containsEntry("kind", "full");
            assertThat(fields(again)).containsEntry("kind", "no-op").containsEntry("generation", "" + generation);
            long next = (long) EstablishedFlows.next(generation) << 12;
            assertThat(relabelled.out()).as("the element, and the generation raised by one").isEqualTo(
                    "delete element inet nftpolicy flow-generation { " + String.format("0x%08x", (long) generation << 12)
                            + " }\n"
                    + "add element inet nftpolicy flow-generation { " + String.format("0x%08x", next)
                            + " comment \"generation " + EstablishedFlows.next(generation) + "\" }\n"
                    + ADD_BACKEND + "\n"
                    + "flush chain inet nftpolicy flow-stamp\n"
                    + "add rule inet nftpolicy flow-stamp ct mark set ct mark & " + String.format("0x%08x | 0x%08x",
                            next | 0xfff, next) + " comment \"generation " + EstablishedFlows.next(generation) + "\"\n");
            assertThat(verify.exitCode()).as(verify.out()).isZero();
        }
    }

    private final Cli cli = Cli.system();

    @KernelTest
    @Test
    void appliesTheTableInFullThenNothingThenOnlyTheElementOfARelabelledPod() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-apply")) {
            Result first = apply(DEMO, ns);
            Result again = apply(DEMO, ns);
            Result relabelled = apply(relabelled(), ns);

            assertThat(first.exitCode()).as(first.err()).isZero();
            assertThat(fields(first)).containsEntry("table", "inet nftpolicy in network namespace " + ns.name())
                    .containsEntry("kind", "full").containsEntry("elements", "+11 -0").containsEntry("sets", "+14 -0")
                    .containsEntry("chains", "+4 -0 (0 flushed and refilled)").containsEntry("rules written", "22")
                    .containsEntry("operations", "52").containsEntry("transactions", "1");
            assertThat(first.err()).isEmpty();

            assertThat(again.exitCode()).isZero();
            assertThat(fields(again)).containsEntry("kind", "no-op").containsEntry("elements", "+0 -0")
                    .containsEntry("operations", "0").containsEntry("transactions", "0").containsEntry("bytes", "0");

            // dev/backend (node-2) now has role=frontend: it joins the peer set of the policy's podSelector peer.
            assertThat(relabelled.exitCode()).as(relabelled.err()).isZero();
            assertThat(fields(relabelled)).containsEntry("kind", "incremental").containsEntry("elements", "+1 -0")
                    .containsEntry("sets", "+0 -0").containsEntry("chains", "+0 -0 (0 flushed and refilled)")
                    .containsEntry("rules written", "0").containsEntry("operations", "1")
                    .containsEntry("transactions", "1").containsEntry("bytes", String.valueOf(ADD_BACKEND.length() + 1));
            assertThat(ns.nft("list", "set", "inet", "nftpolicy", FRONTEND_PEERS))
                    .contains("10.244.2.12 comment \"dev/backend\"");
            Result verify = verify(relabelled(), ns);
            assertThat(verify.exitCode()).isZero();
            assertThat(verify.out()).isEqualTo("in sync: 14 sets, 4 chains, 12 elements\n");
        }
    }

    @KernelTest
    @Test
    void anElementDeletedByHandIsNamedByVerifyAndPutBackByApply() {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-apply")) {
            assertThat(apply(DEMO, ns).exitCode()).isZero();
            ns.nft("delete", "element", "inet", "nftpolicy", FRONTEND_PEERS, "{ 10.244.1.11 }");

            Result drift = verify(DEMO, ns);
            Result repair = apply(DEMO, ns);
            Result after = verify(DEMO, ns);

            assertThat(drift.exitCode()).isEqualTo(1);
            assertThat(drift.out())
                    .isEqualTo("set " + FRONTEND_PEERS + ": element 10.244.1.11 comment \"dev/frontend\" missing\n");
            assertThat(drift.err()).contains("nftpolicy: note: table inet nftpolicy in network namespace " + ns.name()
                    + " differs from node node-1's ruleset (1 difference); 'nftpolicy apply' repairs it");
            assertThat(fields(repair)).containsEntry("kind", "incremental").containsEntry("elements", "+1 -0")
                    .containsEntry("operations", "1");
            assertThat(after.exitCode()).isZero();
            assertThat(after.out()).isEqualTo("in sync: 14 sets, 4 chains, 11 elements\n");
        }
    }

    @KernelTest
    @Test
    void afterNftFlushRulesetVerifyReportsTheMissingTableAndApplyRecreatesIt() {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-apply")) {
            assertThat(apply(DEMO, ns).exitCode()).isZero();
            ns.nft("flush", "ruleset");

            Result missing = verify(DEMO, ns);
            Result recreate = apply(DEMO, ns);
            Result after = verify(DEMO, ns);

            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(missing.out()).isEqualTo("table inet nftpolicy: missing\n");
            assertThat(fields(recreate)).containsEntry("kind", "full").containsEntry("operations", "52");
            assertThat(after.exitCode()).isZero();
        }
    }

    @KernelTest
    @Test
    void aDryRunPrintsTheTransactionAndChangesNothing() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-apply")) {
            Result creation = cli.run("apply", "-i", DEMO.toString(), "-n", NODE, "--netns", ns.name(), "--dry-run", KEEP);

            assertThat(creation.exitCode()).as(creation.err()).isZero();
            assertThat(creation.out()).startsWith("add table inet nftpolicy { comment ")
                    .contains("add chain inet nftpolicy filter-forward { type filter hook forward priority 0; ")
                    .contains("add element inet nftpolicy ingress-v4 { 10.244.1.10 comment \"dev/db\" : jump ing-");
            assertThat(creation.err()).isEqualTo("nftpolicy: note: dry run, nothing committed in network namespace "
                    + ns.name() + ": the kernel accepts this full transaction of 52 operations (elements +11 -0, "
                    + "sets +14 -0, chains +4 -0 ~0, rules written 22)\n");
            assertThat(ns.nft("list", "ruleset")).isEmpty();

            assertThat(apply(DEMO, ns).exitCode()).isZero();
            Result change = cli.run("apply", "-i", relabelled().toString(), "-n", NODE, "--netns", ns.name(),
                    "--dry-run", KEEP);
            Result nothing = cli.run("apply", "-i", DEMO.toString(), "-n", NODE, "--netns", ns.name(), "--dry-run", KEEP);

            assertThat(change.exitCode()).isZero();
            assertThat(change.out()).isEqualTo(ADD_BACKEND + "\n");
            assertThat(verify(DEMO, ns).exitCode()).as("the dry run left the kernel as it was").isZero();
            assertThat(nothing.out()).isEmpty();
            assertThat(nothing.err()).contains("the table equals node node-1's ruleset, nothing to send");
        }
    }

    @KernelTest
    @Test
    void aTransactionTheKernelRefusesExitsFourWithLibnftablesErrorAndTheFailingCommand() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-apply")) {
            // The frontend peer set, declared by hand with room for its one element: nftpolicy's read-back does not
            // see a set's size, so the next apply adds an element to a full set, and the kernel refuses.
            Result compiled = cli.run("compile", "-i", DEMO.toString(), "-n", NODE, KEEP);
            String sized = compiled.out().replace("comment \"pods role=frontend in namespace dev\"",
                    "size 1\n\t\tcomment \"pods role=frontend in namespace dev\"");
            assertThat(sized).isNotEqualTo(compiled.out());
            ns.load(sized);
            String before = ns.nft("list", "ruleset");

            Result refused = apply(relabelled(), ns);

            assertThat(refused.exitCode()).isEqualTo(4);
            assertThat(refused.out()).isEmpty();
            assertThat(refused.err()).startsWith("nftpolicy: error: the kernel refused the transaction in network "
                            + "namespace " + ns.name() + "; nothing of it was applied. libnftables says:\n"
                            + "Error: Could not process rule: Too many open files in system\n" + ADD_BACKEND + "\n")
                    .endsWith("nftpolicy: failing command: " + ADD_BACKEND + "\n");
            assertThat(ns.nft("list", "ruleset")).isEqualTo(before);
            assertThat(verify(DEMO, ns).exitCode()).isZero();
        }
    }

    @Test
    void notRootIsOneLineAndExitsTwo() {
        Result result = Cli.withHost(host(false, Optional.empty())).run("apply", "-i", DEMO.toString(), "-n", NODE);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: apply must run as root").hasLineCount(1);
    }

    @Test
    void withoutLibnftablesApplyAndVerifyNameThePackageOnOneLineAndExitTwo() {
        Host noLibrary = host(true, Optional.empty());
        for (String command : new String[] {"apply", "verify"}) {
            Result result = Cli.withHost(noLibrary).run(command, "-i", DEMO.toString(), "-n", NODE);

            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.err()).startsWith("nftpolicy: error: libnftables cannot be used")
                    .contains("apt-get install libnftables1").hasLineCount(1);
        }
    }

    @KernelTest
    @Test
    void anUnreadableInputOrAMissingNamespaceExitsTwo() {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-apply")) {
            Result input = cli.run("apply", "-i", "/nonexistent/cluster.yaml", "-n", NODE, "--netns", ns.name());
            Result namespace = cli.run("verify", "-i", DEMO.toString(), "-n", NODE, "--netns", ns.name() + "-gone");

            assertThat(input.exitCode()).isEqualTo(2);
            assertThat(input.err()).isEqualTo("nftpolicy: error: /nonexistent/cluster.yaml: no such file\n");
            assertThat(namespace.exitCode()).isEqualTo(2);
            assertThat(namespace.err()).startsWith("nftpolicy: error: cannot open libnftables in network namespace "
                    + ns.name() + "-gone").hasLineCount(1);
            assertThat(ns.nft("list", "ruleset")).isEmpty();
        }
    }

    @Test
    void helpListsApplyAndVerifyAndExitStatusFour() {
        Result result = cli.run("--help");

        assertThat(result.out()).contains("apply", "verify", "generate")
                .contains("4  apply: the kernel refused the transaction");
    }

    private Result apply(Path input, NetworkNamespace ns) {
        return cli.run("apply", "--input", input.toString(), "--node", NODE, "--netns", ns.name(), KEEP);
    }

    private Result verify(Path input, NetworkNamespace ns) {
        return cli.run("verify", "--input", input.toString(), "--node", NODE, "--netns", ns.name(), KEEP);
    }

    /** The demo with dev/backend (on node-2) labelled role=frontend. */
    private Path relabelled() throws IOException {
        String demo = Files.readString(DEMO);
        String changed = demo.replace("{name: backend, namespace: dev, labels: {role: backend}}",
                "{name: backend, namespace: dev, labels: {role: frontend}}");
        assertThat(changed).isNotEqualTo(demo);
        Path file = tmp.resolve("relabelled.yaml");
        if (!Files.exists(file)) {
            Files.writeString(file, changed);
        }
        return file;
    }

    /** apply's report, {@code key: value} per line. */
    private static Map<String, String> fields(Result result) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : result.out().split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return out;
    }

    /** A host that is root or not, whose libnftables is the real one or (empty) missing. */
    private static Host host(boolean root, Optional<Boolean> library) {
        return new Host() {
            @Override
            public boolean isRoot() {
                return root;
            }

            @Override
            public Optional<Path> findProgram(String name) {
                return Optional.empty();
            }

            @Override
            public Nftables nftables(String netns) throws NftablesException {
                return library.isPresent() ? Host.super.nftables(netns) : MissingLibrary.open(netns);
            }
        };
    }
}
