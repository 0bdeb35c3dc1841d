package io.nftpolicy.backend.libnftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.testing.KernelTest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The binding against the real kernel, each test in a network namespace of its own (root needed; skipped
 * otherwise). The nft command line, run in the same namespace, witnesses what the binding did.
 */
@KernelTest
class NftablesTest {
    private NetworkNamespace ns;
    private Nftables nft;

    @BeforeEach
    void open() throws NftablesException {
        ns = NetworkNamespace.create("nftt-nft");
        nft = ns.nftables();
    }

    @AfterEach
    void close() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void theContextLivesOnAThreadOfItsOwnAndClosesIdempotently() throws NftablesException {
        assertThat(nft.threadName()).isEqualTo("nftables-" + ns.name());
        assertThat(nft.run("list tables")).isEmpty();

        nft.close();
        nft.close();

        assertThat(nft.toString()).contains("closed");
        assertThatThrownBy(() -> nft.run("list tables")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aValidBufferIsCommitted() throws NftablesException {
        nft.run("""
                add table inet t
                add set inet t s { type ipv4_addr; comment "peers"; }
                add element inet t s { 10.0.0.1 comment "x/a", 10.0.0.2 }
                """);

        assertThat(ns.nft("list", "set", "inet", "t", "s"))
                .contains("comment \"peers\"").contains("10.0.0.1 comment \"x/a\"").contains("10.0.0.2");
    }

    @Test
    void aFailingCommandThrowsWithLibnftablesOwnErrorAndNoneOfTheBufferTakesEffect() throws NftablesException {
        // The first two commands are fine; the kernel refuses the third (no such chain), so the batch is aborted.
        NftablesException e = catchThrowableOfType(NftablesException.class, () -> nft.run("""
                add table inet t
                add chain inet t c
                add rule inet t c ip saddr 10.0.0.1 jump nosuchchain
                """));

        assertThat(e.errorText())
                .contains("Error: Could not process rule: No such file or directory")
                .contains("add rule inet t c ip saddr 10.0.0.1 jump nosuchchain")
                .contains("^^^^^^^^^^^");
        assertThat(e.failingLine()).hasValue(3);
        assertThat(e.failingCommand()).hasValue("add rule inet t c ip saddr 10.0.0.1 jump nosuchchain");
        assertThat(e.getMessage())
                .isEqualTo("libnftables: Could not process rule: No such file or directory (line 3: "
                        + "\"add rule inet t c ip saddr 10.0.0.1 jump nosuchchain\", at \"nosuchchain\")")
                .doesNotContain("\n");
        assertThat(ns.nft("list", "tables")).isEmpty();
    }

    @Test
    void aSyntaxErrorInOneLineIsReportedWithThatLine() {
        NftablesException e = catchThrowableOfType(NftablesException.class, () -> nft.run("add tabel inet t"));

        assertThat(e.errorText()).startsWith("Error: syntax error");
        assertThat(e.failingCommand()).hasValue("add tabel inet t");
        assertThat(e.getMessage()).startsWith("libnftables: syntax error").contains("(\"add tabel inet t\", at \"");
    }

    @Test
    void everySyntaxErrorOfSeveralLinesIsReportedWithItsOwnLine() {
        NftablesException e = catchThrowableOfType(NftablesException.class,
                () -> nft.run("add table inet t\nadd chian inet t c\nadd table inet u\nadd sett inet t s\n"));

        assertThat(e.failingLine()).hasValue(2);
        assertThat(e.failingCommand()).hasValue("add chian inet t c");
        assertThat(e.errorText()).contains("commands:2:").contains("commands:4:").contains("add sett inet t s");
        assertThat(e.getMessage()).contains("line 2: \"add chian inet t c\"").contains("line 4: \"add sett inet t s\"");
        assertThat(ns.nft("list", "tables")).isEmpty();
    }

    @Test
    void aDryRunLeavesNothingBehind() throws NftablesException {
        nft.check("""
                add table inet t
                add set inet t s { type ipv4_addr; }
                add element inet t s { 10.0.0.1 }
                """);

        assertThat(ns.nft("list", "tables")).isEmpty();
    }

    @Test
    void aDryRunReportsWhatTheKernelWouldRefuse() {
        assertThatThrownBy(() -> nft.check("add table inet t\nadd chain inet t c\nadd rule inet t c jump nowhere\n"))
                .isInstanceOf(NftablesException.class).hasMessageContaining("No such file or directory")
                .hasMessageContaining("line 3");
        assertThat(ns.nft("list", "tables")).isEmpty();
    }

    @Test
    void aDryRunDoesNotStickToTheContext() throws NftablesException {
        nft.check("add table inet dry");
        nft.run("add table inet wet");

        assertThat(ns.nft("list", "tables")).isEqualTo("table inet wet\n");
    }

    @Test
    void listTableJsonIsEmptyForAMissingTable() throws NftablesException {
        assertThat(nft.listTableJson("inet", "nftpolicy")).isEmpty();
    }

    @Test
    void listTableJsonGivesTheTableAsJson() throws NftablesException {
        nft.run("add table inet nftpolicy");

        Optional<String> json = nft.listTableJson("inet", "nftpolicy");

        assertThat(json).get().asString().startsWith("{\"nftables\": [{\"metainfo\"")
                .contains("{\"table\": {\"family\": \"inet\", \"name\": \"nftpolicy\"");
    }

    @Test
    void listTableRefusesNamesThatAreNotNames() {
        assertThatThrownBy(() -> nft.listTableJson("inet", "t; flush ruleset")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> nft.listTableJson("inet6", "t")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void outputFlagsApplyToOneCallOnly() throws NftablesException {
        nft.run("add table inet t");

        assertThat(nft.runJson("list tables")).startsWith("{\"nftables\"");
        assertThat(nft.run("list tables")).isEqualTo("table inet t\n");
        assertThat(nft.run("list table inet t", EnumSet.of(OutputFlag.HANDLE))).contains("# handle");
    }

    @Test
    void openInNamespaceActsOnThatNamespaceOnly() throws NftablesException {
        try (NetworkNamespace other = NetworkNamespace.create("nftt-other");
             Nftables inOther = Nftables.openInNamespace(other.name())) {
            String table = "only_" + ProcessHandle.current().pid();
            nft.run("add table inet " + table);

            assertThat(ns.nft("list", "tables")).isEqualTo("table inet " + table + "\n");
            assertThat(other.nft("list", "tables")).isEmpty();
            assertThat(inOther.listTableJson("inet", table)).isEmpty();
            assertThat(NetworkNamespace.rootTables()).doesNotContain(table);
        }
    }

    @Test
    void openInAMissingNamespaceSaysWhich() {
        assertThatThrownBy(() -> Nftables.openInNamespace("nftt-no-such-namespace"))
                .isInstanceOf(NftablesException.class)
                .hasMessageContaining("network namespace nftt-no-such-namespace");
    }

    @Test
    void callersOnSeveralThreadsAreServedOneAfterTheOther() throws Exception {
        nft.run("add table inet t\nadd set inet t s { type ipv4_addr; }\n");
        int threads = 8;
        int perThread = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    List<String> seen = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        nft.run("add element inet t s { 10.1." + thread + "." + i + " }");
                        seen.add(nft.threadName());
                    }
                    return seen;
                }));
            }
            start.countDown();
            for (Future<List<String>> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).containsOnly("nftables-" + ns.name());
            }
        } finally {
            pool.shutdownNow();
        }

        String set = ns.nft("list", "set", "inet", "t", "s");
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                assertThat(set).contains("10.1." + t + "." + i);
            }
        }
        assertThat(set.split("10\\.1\\.", -1)).hasSize(threads * perThread + 1);
    }

    @Test
    void aMissingLibraryNamesThePackageToInstall() {
        assertThatThrownBy(() -> Nftables.open("nftables-not-installed-here", null))
                .isInstanceOf(NftablesUnavailableException.class)
                .hasMessageContaining("nftables-not-installed-here")
                .hasMessageContaining("apt-get install libnftables1");
    }

    @Test
    void aLibraryWithoutTheFunctionsIsTooOldAndNamesThePackageToInstall() {
        // libc stands in for a libnftables too old to have nft_run_cmd_from_filename and friends.
        assertThatThrownBy(() -> Nftables.open("c", null))
                .isInstanceOf(NftablesUnavailableException.class)
                .hasMessageContaining("nft_ctx_new").hasMessageContaining("nft_run_cmd_from_buffer")
                .hasMessageContaining("apt-get install libnftables1");
    }
}
