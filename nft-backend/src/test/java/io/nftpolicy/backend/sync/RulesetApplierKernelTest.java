package io.nftpolicy.backend.sync;

import static io.nftpolicy.backend.sync.TestClusters.compile;
import static io.nftpolicy.backend.sync.TestClusters.demo;
import static io.nftpolicy.testing.Clusters.cluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import io.nftpolicy.testing.PodFixture;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The applier on the real kernel through libnftables, in a fresh network namespace per test (needs root; skipped
 * otherwise). What the unit specifications state with the fake, here proven on the kernel: the transactions the
 * diff writes are accepted in the order it writes them, they leave exactly the model, a re-apply sends nothing,
 * drift made by hand is reported and repaired, and the fake refuses what the kernel refuses.
 */
@KernelTest
class RulesetApplierKernelTest {
    private String netns;
    private LibnftablesExecutor executor;
    private final List<String> namespaces = new ArrayList<>();

    @BeforeEach
    void namespace() throws Exception {
        netns = newNamespace();
        executor = LibnftablesExecutor.openInNamespace(netns);
    }

    @AfterEach
    void removeNamespaces() throws Exception {
        if (executor != null) {
            executor.close();
        }
        for (String ns : namespaces) {
            host(List.of("ip", "netns", "delete", ns), "");
        }
    }

    @Test
    void theDemoLoadsThenReappliesAsNothingAlsoAfterARestart() throws Exception {
        Ruleset ruleset = compile(demo());
        RulesetApplier applier = new RulesetApplier(executor);

        ApplyResult first = applier.apply(ruleset);
        ApplyResult again = applier.apply(compile(demo()));
        ApplyResult restarted = new RulesetApplier(executor).apply(compile(demo()));

        assertThat(first.kind()).isEqualTo(ApplyResult.Kind.FULL);
        assertThat(again.operations()).isZero();
        assertThat(restarted.readBack()).isTrue();
        assertThat(restarted.operations()).as("read back from the kernel, the table equals the model").isZero();
        assertThat(applier.verify(ruleset).differences()).isEmpty();
        assertSameChainsAsAFreshLoad(ruleset);
    }

    @Test
    void aTableThatReChecksEstablishedFlowsKeepsItsGenerationWhenNothingChangesAndRaisesItByOneWithAChange()
            throws Exception {
        EstablishedFlows established = new EstablishedFlows();
        RulesetApplier applier = new RulesetApplier(executor);
        ApplyResult first = applier.apply(established.apply(compile(demo())));
        int generation = first.generation().orElseThrow();

        ApplyResult again = applier.apply(established.apply(compile(demo())));
        ApplyResult restarted = new RulesetApplier(executor).apply(new EstablishedFlows().apply(compile(demo())));
        ApplyResult changed = applier.apply(established.apply(compile(cluster(demo()).relabel("dev/frontend", "role=backend").snapshot())));

        assertThat(again.kind()).isEqualTo(ApplyResult.Kind.NO_OP);
        assertThat(again.generation()).hasValue(generation);
        assertThat(restarted.operations()).as("the generation is read back, not reset").isZero();
        assertThat(restarted.generation()).hasValue(generation);
        assertThat(changed.generation()).hasValue(EstablishedFlows.next(generation));
        assertThat(host(List.of("ip", "netns", "exec", netns, "nft", "list", "set", "inet", "nftpolicy",
                EstablishedFlows.GENERATION_SET), "")).contains(String.format("0x%08x", (long) changed.generation()
                .getAsInt() << 12));
        assertThat(applier.verify(established.apply(compile(demo()))).differences())
                .as("any generation is in sync; the relabel is not").isNotEmpty()
                .noneMatch(d -> d.contains(EstablishedFlows.GENERATION_SET) || d.contains(EstablishedFlows.STAMP_CHAIN));
    }

    @Test
    void aPodLabelChangeIsOnlyElementOperations() throws Exception {
        RulesetApplier applier = new RulesetApplier(executor);
        applier.apply(compile(demo()));
        ClusterSnapshot relabelled = cluster(demo()).relabel("dev/frontend", "role=backend").snapshot();

        ApplyResult result = applier.apply(compile(relabelled));

        assertThat(result.operations()).isPositive();
        assertThat(result.counts()).isEqualTo(new Transaction.Counts(0, 0, result.counts().elementsAdded(),
                result.counts().elementsRemoved(), 0, 0, 0, 0));
        assertThat(applier.verify(compile(relabelled)).differences()).isEmpty();
    }

    @Test
    void anElementDeletedByHandIsReportedThenRepaired() throws Exception {
        Ruleset ruleset = compile(demo());
        RulesetApplier applier = new RulesetApplier(executor);
        applier.apply(ruleset);
        host(List.of("ip", "netns", "exec", netns, "nft", "-f", "-"),
                "delete element inet nftpolicy peer-9a3bd8b3-v4 { 10.244.1.11 }\n");

        Drift drift = applier.verify(ruleset);
        ApplyResult repair = applier.apply(ruleset);

        assertThat(drift.differences()).containsExactly(
                "set peer-9a3bd8b3-v4: element 10.244.1.11 comment \"dev/frontend\" missing");
        assertThat(repair.readBack()).isTrue();
        assertThat(repair.operations()).isEqualTo(1);
        assertThat(applier.verify(ruleset).differences()).isEmpty();
    }

    @Test
    void aChildNftProcessListsTheDeclarationsAndCountersAsTheContextDoes() throws Exception {
        Ruleset ruleset = compile(demo());
        new RulesetApplier(executor).apply(ruleset);
        var declarations = executor.readDeclarations().orElseThrow();
        var counters = executor.readCounters().orElseThrow();

        try (LibnftablesExecutor reader = LibnftablesExecutor.openInNamespace(netns)) {
            reader.listingTablesThrough(io.nftpolicy.backend.kernel.NftProcess.find(netns).orElseThrow());

            assertThat(reader.readDeclarations()).contains(declarations);
            assertThat(reader.readCounters()).contains(counters);
        }
    }

    @Test
    void aListingThatFailsInTheChildProcessIsMadeInProcess() throws Exception {
        Ruleset ruleset = compile(demo());
        new RulesetApplier(executor).apply(ruleset);
        var declarations = executor.readDeclarations().orElseThrow();

        try (LibnftablesExecutor reader = LibnftablesExecutor.openInNamespace(netns)) {
            reader.listingTablesThrough((family, table, flags) -> {
                throw new io.nftpolicy.backend.libnftables.NftablesException("cannot start nft (by the test)");
            });

            assertThat(reader.readDeclarations()).contains(declarations);
        }
    }

    @Test
    void aChildNftProcessFindsNoTableWhereThereIsNone() throws Exception {
        var process = io.nftpolicy.backend.kernel.NftProcess.find(netns).orElseThrow();

        assertThat(process.listTable(Ruleset.FAMILY, Ruleset.TABLE,
                java.util.EnumSet.of(io.nftpolicy.backend.libnftables.OutputFlag.JSON))).isEmpty();
    }

    @Test
    void theSteppedReadsReadWhatTheFullReadBackReads() throws Exception {
        Ruleset ruleset = compile(demo());
        new RulesetApplier(executor).apply(ruleset);
        io.nftpolicy.backend.kernel.KernelTable full = executor.readBack().orElseThrow();

        assertThat(executor.readDeclarations()).contains(full.withoutElements());
        assertThat(full.sets()).isNotEmpty().allSatisfy(set -> assertThat(executor.readSet(set.name())).contains(set));
        assertThat(full.maps()).isNotEmpty().allSatisfy(map -> assertThat(executor.readMap(map.name())).contains(map));
        assertThat(executor.readSet("no-such-set")).isEmpty();
        assertThat(executor.readMap(full.sets().get(0).name())).as("a set is no map").isEmpty();
    }

    @Test
    void steppedChecksFindChangesMadeByHandAsVerifyDoes() throws Exception {
        Ruleset ruleset = compile(demo());
        RulesetApplier applier = new RulesetApplier(executor);
        applier.apply(ruleset);
        String map = ruleset.maps().get(0).name();
        String mapElement = ruleset.maps().get(0).elements().get(0).key().toString();
        // a set whose every user is in one chain: flushing that chain lets it be deleted
        io.nftpolicy.ruleset.Chain flushed = null;
        String deletedSet = null;
        for (io.nftpolicy.ruleset.NamedSet set : ruleset.sets()) {
            List<io.nftpolicy.ruleset.Chain> users = ruleset.chains().stream().filter(c -> c.rules().stream()
                    .anyMatch(r -> NftRenderer.renderRule(r).contains("@" + set.name() + " "))).toList();
            if (users.size() == 1 && !set.name().equals("peer-9a3bd8b3-v4")) {
                flushed = users.get(0);
                deletedSet = set.name();
                break;
            }
        }
        assertThat(deletedSet).as("a set used in one chain").isNotNull();
        host(List.of("ip", "netns", "exec", netns, "nft", "-f", "-"), String.join("\n",
                "delete element inet nftpolicy peer-9a3bd8b3-v4 { 10.244.1.11 }",
                "delete element inet nftpolicy " + map + " { " + mapElement + " }",
                "flush chain inet nftpolicy " + flushed.name(),
                "delete set inet nftpolicy " + deletedSet,
                "add chain inet nftpolicy someone-elses", ""));
        String flushedName = flushed.name();
        String deletedName = deletedSet;
        SteppedVerifier stepped = new SteppedVerifier(executor);

        List<String> found = new ArrayList<>();
        for (SteppedVerifier.Step step : SteppedVerifier.cycle(ruleset)) {
            found.addAll(stepped.check(step, ruleset).differences());
        }

        // a missing set is reported twice: by the declarations and by its own step
        assertThat(found.stream().distinct().toList())
                .containsExactlyInAnyOrderElementsOf(applier.verify(ruleset).differences());
        assertThat(found).anyMatch(d -> d.startsWith("set peer-9a3bd8b3-v4: element 10.244.1.11"))
                .anyMatch(d -> d.startsWith("map " + map + ": element " + mapElement))
                .anyMatch(d -> d.startsWith("chain " + flushedName + ": "))
                .contains("set " + deletedName + ": missing", "chain someone-elses: not in the model");
        applier.apply(ruleset);
        for (SteppedVerifier.Step step : SteppedVerifier.cycle(ruleset)) {
            assertThat(stepped.check(step, ruleset).differences()).as("after the repair, " + step).isEmpty();
        }
    }

    @Test
    void aRefusedTransactionNamesItsCommandAndTheNextApplyResynchronises() throws Exception {
        RulesetApplier applier = new RulesetApplier(executor);
        applier.apply(compile(demo()));
        host(List.of("ip", "netns", "exec", netns, "nft", "-f", "-"),
                "delete element inet nftpolicy peer-9a3bd8b3-v4 { 10.244.1.11 }\n");
        Ruleset renamed = compile(cluster(demo())
                .changePod("dev/frontend", p -> PodFixture.from(p).renamed("frontend-new").build()).snapshot());

        assertThatThrownBy(() -> applier.apply(renamed)).isInstanceOfSatisfying(ApplyException.class, e -> {
            assertThat(e.failingCommand()).contains("delete element inet nftpolicy peer-9a3bd8b3-v4 { 10.244.1.11 }");
            assertThat(e.nftError()).contains("Error:");
        });
        assertThat(applier.knowsCommittedState()).isFalse();
        ApplyResult retry = applier.apply(renamed);

        assertThat(retry.readBack()).isTrue();
        assertThat(retry.operations()).isEqualTo(1);
        assertThat(applier.verify(renamed).differences()).isEmpty();
    }

    @Test
    void theKernelAcceptsEveryKindOfChangeInTheOrderTheDiffWritesIt() throws Exception {
        Transaction.Counts total = Transaction.Counts.NONE;
        for (long seed = 1; seed <= 3; seed++) {
            ClusterSnapshot cluster = TestClusters.generated(seed);
            String node = ClusterGenerator.nodeName((int) (seed % 3));
            ClusterMutator mutator = new ClusterMutator(seed * 7919);
            RulesetApplier applier = new RulesetApplier(executor);
            List<String> log = new ArrayList<>();
            for (int step = 0; step < 15; step++) {
                for (int i = 0; step > 0 && i < 1 + step % 3; i++) {
                    cluster = mutator.mutate(cluster, log);
                }
                Ruleset desired = compile(cluster, node);
                String where = "seed " + seed + " step " + step + " after " + log;
                try {
                    total = total.plus(applier.apply(desired).counts());
                } catch (ApplyException e) {
                    fail(where + ": " + e.getMessage() + "\nfailing command: " + e.failingCommand().orElse("?"));
                }
                assertThat(applier.verify(desired).differences()).as(where).isEmpty();
            }
            assertSameChainsAsAFreshLoad(compile(cluster, node));
            host(List.of("ip", "netns", "exec", netns, "nft", "delete", "table", "inet", "nftpolicy"), "");
        }
        assertThat(total.chainsRemoved()).isPositive();
        assertThat(total.chainsChanged()).isPositive();
        assertThat(total.setsRemoved()).isPositive();
        assertThat(total.elementsRemoved()).isPositive();
    }

    @Test
    void rareRedeclarationsAreAcceptedInOneTransaction() throws Exception {
        Ruleset before = compile(demo());
        RulesetApplier applier = new RulesetApplier(executor);
        applier.apply(before);
        // The peer set becomes an interval set, and a group chain's comment changes.
        Ruleset after = new Ruleset(before.family(), before.table(), before.comment(),
                before.sets().stream().map(s -> s.name().equals("peer-9a3bd8b3-v4")
                        ? new io.nftpolicy.ruleset.NamedSet(s.name(), s.keyType(), true, s.comment(), s.elements()) : s)
                        .toList(),
                before.maps(),
                before.chains().stream().map(c -> c.name().startsWith("ing-")
                        ? new io.nftpolicy.ruleset.Chain(c.name(), c.hook(), "renamed", c.rules()) : c).toList());

        ApplyResult result = applier.apply(after);

        assertThat(result.transactions()).isEqualTo(1);
        assertThat(new RulesetApplier(executor).verify(after).differences()).isEmpty();
    }

    @ParameterizedTest(name = "established flows judged again: {0}")
    @ValueSource(booleans = {false, true})
    void aLargeColdStartIsSplitAndEveryPartIsAccepted(boolean establishedFlows) throws Exception {
        Ruleset compiled = compile(ClusterGenerator.generate(new ClusterGenerator.Size(20, 30, 2, 8, 5)), "node-0");
        // The base chains jump to flow-stamp: the part that holds them must come after that chain's.
        Ruleset ruleset = establishedFlows ? new io.nftpolicy.compile.EstablishedFlows().apply(compiled) : compiled;
        RulesetApplier applier = new RulesetApplier(executor,
                RulesetApplier.Options.defaults().withColdStartMaxOperations(300));

        ApplyResult result = applier.apply(ruleset);

        assertThat(result.transactions()).isGreaterThan(2);
        assertThat(applier.verify(ruleset).differences()).isEmpty();
        assertSameChainsAsAFreshLoad(result.committed()); // with the generation the applier gave it
    }

    @Test
    void theFakeRefusesWhatTheKernelRefuses() throws Exception {
        NftObject.Set s = new NftObject.Set("s", List.of(KeyType.IPV4_ADDR), false, "one");
        NftObject.Set r = new NftObject.Set("r", List.of(KeyType.IPV4_ADDR), true, "");
        NftObject.Chain c1 = new NftObject.Chain("c1", Optional.empty(), "c1");
        NftObject.Chain c2 = NftObject.Chain.named("c2");
        NftObject.Chain base = new NftObject.Chain("base", Optional.of(new BaseHook("forward", 0)), "");
        Supplier<Transaction> setup = () -> new Transaction().addTable("t").add(s).add(r)
                .add(new NftObject.Map("m", KeyType.IPV4_ADDR, "")).add(c1).add(c2).add(base)
                .add(Keys.element("s", "10.0.0.1", "a")).add(Keys.element("r", "10.1.0.0/24", "x"))
                .add(Keys.jump("m", "10.0.0.1", "pod", "c1"))
                .addRule("c1", Rule.of("ip saddr @s accept", "r1")).addRule("base", Rule.of("ip saddr vmap @m", ""));
        Map<String, Transaction> cases = new TreeMap<>();
        Map<String, Boolean> accepted = new TreeMap<>();
        BiConsumer<Transaction, Boolean> add = (tx, ok) -> {
            cases.put(tx.render(), tx);
            accepted.put(tx.render(), ok);
        };
        add.accept(new Transaction().deleteChain("c1"), false);
        add.accept(new Transaction().delete(Keys.key("m", "10.0.0.1")).deleteChain("c1"), true);
        add.accept(new Transaction().deleteSet("s"), false);
        add.accept(new Transaction().deleteChain("c2").deleteSet("r"), true);
        add.accept(new Transaction().add(Keys.element("r", "10.1.0.0/23", "")), false);
        add.accept(new Transaction().delete(Keys.key("r", "10.1.0.0/24")).add(Keys.element("r", "10.1.0.0/23", "")), true);
        add.accept(new Transaction().add(Keys.element("r", "10.1.0.0/23", "")).delete(Keys.key("r", "10.1.0.0/24")), false);
        add.accept(new Transaction().delete(Keys.key("s", "10.0.0.9")), false);
        add.accept(new Transaction().add(Keys.jump("m", "10.0.0.1", "pod", "c2")), false);
        add.accept(new Transaction().delete(Keys.key("m", "10.0.0.1")).add(Keys.jump("m", "10.0.0.1", "moved", "c2")), true);
        add.accept(new Transaction().delete(Keys.key("s", "10.0.0.1")).add(Keys.element("s", "10.0.0.1", "b")), true);
        add.accept(new Transaction().add(new NftObject.Set("s", List.of(KeyType.IPV4_ADDR), true, "")), false);
        add.accept(new Transaction().add(new NftObject.Set("s", List.of(KeyType.IPV4_ADDR), false, "two")), true);
        add.accept(new Transaction().flushChain("c1").deleteSet("s")
                .add(new NftObject.Set("s", List.of(KeyType.IPV4_ADDR), true, ""))
                .addRule("c1", Rule.of("ip saddr @s accept", "")), true);
        add.accept(new Transaction().add(new NftObject.Chain("c2", Optional.of(new BaseHook("input", 0)), "")), false);
        add.accept(new Transaction().addRule("c2", Rule.of("ip saddr @nothing accept", "")), false);
        add.accept(new Transaction().add(Keys.element("s", "10.2.0.0/16", "")), false);
        add.accept(new Transaction().delete(Keys.key("m", "10.0.0.1")).deleteChain("c1")
                .add(new NftObject.Chain("c1", Optional.empty(), "new")).add(Keys.jump("m", "10.0.0.1", "", "c1")), true);
        add.accept(new Transaction().flushChain("base").addRule("base", Rule.of("ip saddr vmap @m", "")), true);
        // create fails on what exists, where add does nothing
        add.accept(new Transaction().create(s), false);
        add.accept(new Transaction().create(c2), false);
        add.accept(new Transaction().create(new NftObject.Table("")), false);
        add.accept(new Transaction().create(Keys.element("s", "10.0.0.1", "")), false);
        add.accept(new Transaction().create(Keys.element("s", "10.0.0.2", "")), true);
        add.accept(new Transaction().create(NftObject.Chain.named("c3")), true);
        // flush empties a set or map and keeps it; insert puts a rule first
        add.accept(new Transaction().flush(NftObject.Set.named("s")).delete(Keys.key("s", "10.0.0.1")), false);
        add.accept(new Transaction().flush(NftObject.Map.named("m")).deleteChain("c1"), true);
        add.accept(new Transaction().insert(new NftObject.Rule("c2", Rule.of("ip saddr @r drop", ""))), true);
        add.accept(new Transaction().flush(NftObject.Set.named("nothing")), false);

        for (Map.Entry<String, Transaction> c : cases.entrySet()) {
            FakeNft fake = new FakeNft();
            fake.run(setup.get());
            host(List.of("ip", "netns", "exec", netns, "nft", "flush", "ruleset"), "");
            executor.run(setup.get());
            assertThat(accepts(executor, c.getValue())).as("kernel: " + c.getKey()).isEqualTo(accepted.get(c.getKey()));
            assertThat(accepts(fake, c.getValue())).as("fake: " + c.getKey()).isEqualTo(accepted.get(c.getKey()));
            if (accepted.get(c.getKey())) {
                assertThat(TableState.readBack(fake.readBack()).toString())
                        .isEqualTo(TableState.readBack(executor.readBack()).toString());
            }
        }
    }

    private static boolean accepts(NftExecutor executor, Transaction tx) {
        try {
            executor.run(tx);
            return true;
        } catch (ApplyException e) {
            return false;
        }
    }

    /** Every chain lists in the kernel exactly as after loading the compiled script into an empty namespace. */
    private void assertSameChainsAsAFreshLoad(Ruleset ruleset) throws Exception {
        String fresh = newNamespace();
        host(List.of("ip", "netns", "exec", fresh, "nft", "-f", "-"), NftRenderer.render(ruleset));
        assertThat(chains(listing(netns))).isEqualTo(chains(listing(fresh)));
    }

    private static String listing(String ns) throws Exception {
        return host(List.of("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "nftpolicy"), "");
    }

    /** Chain name → its listing (hook, comment, rules in order). */
    private static Map<String, String> chains(String listing) {
        Map<String, String> out = new TreeMap<>();
        String name = null;
        StringBuilder body = new StringBuilder();
        for (String line : listing.split("\n")) {
            if (line.startsWith("\tchain ")) {
                name = line.substring("\tchain ".length(), line.length() - 2);
                body.setLength(0);
            } else if (name != null && line.equals("\t}")) {
                out.put(name, body.toString());
                name = null;
            } else if (name != null) {
                body.append(line).append('\n');
            }
        }
        return out;
    }

    private String newNamespace() throws Exception {
        String name = "nftpolicy-sync-" + UUID.randomUUID().toString().substring(0, 8);
        host(List.of("ip", "netns", "add", name), "");
        namespaces.add(name);
        return name;
    }

    /** Runs a host command with {@code stdin}; returns stdout, fails the test with stderr when it fails. */
    private static String host(List<String> argv, String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + err);
        }
        return out;
    }

}
