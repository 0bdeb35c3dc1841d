package io.nftpolicy.backend.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.libnftables.OutputFlag;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.SteppedVerifier;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's large node (10,000 pods, 2,000 policies, 20 nodes: node-0's ruleset) loaded through
 * {@link Nftables#run} in one transaction and read back whole: it must equal the model, and the times are printed.
 */
@KernelTest
class ReadBackAtScaleTest {

    @Test
    void aLargeRulesetLoadsInOneTransactionAndReadsBackAsCompiled() throws NftablesException {
        Ruleset model = new PolicyCompiler().compile(ClusterGenerator.generate(
                new ClusterGenerator.Size(200, 50, 20, 10, 1L)), ClusterGenerator.nodeName(0)).ruleset();
        String script = NftRenderer.render(model);

        try (NetworkNamespace ns = NetworkNamespace.create("nftt-scale"); Nftables nft = Nftables.openInNamespace(ns.name())) {
            long start = System.nanoTime();
            nft.run(script);
            long loaded = System.nanoTime();
            String json = nft.listTableJson("inet", "nftpolicy").orElseThrow();
            long listedJson = System.nanoTime();
            String text = nft.listTable("inet", "nftpolicy", EnumSet.of(OutputFlag.TERSE)).orElseThrow();
            long listedText = System.nanoTime();
            KernelTable read = KernelTableReader.parse(json, text);
            long parsed = System.nanoTime();

            System.out.printf("%d chains, %d rules, %d sets and maps, %d elements, %.1f MB of nft text:%n"
                            + "  run (one transaction) %d ms; list JSON %d ms (%.1f MB); list terse text %d ms; "
                            + "parse %d ms%n",
                    model.chains().size(), model.ruleCount(), model.sets().size() + model.maps().size(),
                    model.elementCount(), script.length() / 1e6, (loaded - start) / 1_000_000,
                    (listedJson - loaded) / 1_000_000, json.length() / 1e6, (listedText - listedJson) / 1_000_000,
                    (parsed - listedText) / 1_000_000);
            assertThat(new KernelTable(read.comment(), read.sets(), read.maps(), read.chains().stream()
                    .map(KernelChain::digestsOnly).toList())).isEqualTo(KernelReadBackTest.ModelView.of(model));
        }
    }

    /**
     * The same table checked for drift whole ({@link RulesetApplier#verify}) and in steps ({@link SteppedVerifier}),
     * alternately: both find none; prints the process CPU time of each (libnftables runs on its context's thread)
     * and the longest step.
     */
    @Test
    void aSteppedDriftCycleFindsNoDriftAndItsCpuTimeIsPrinted() throws Exception {
        Ruleset model = new PolicyCompiler().compile(ClusterGenerator.generate(
                new ClusterGenerator.Size(200, 50, 20, 10, 1L)), ClusterGenerator.nodeName(0)).ruleset();
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-scale");
             LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(ns.name())) {
            RulesetApplier applier = new RulesetApplier(executor);
            applier.apply(model);
            SteppedVerifier stepped = new SteppedVerifier(executor);
            List<SteppedVerifier.Step> steps = SteppedVerifier.cycle(model);
            for (int round = 0; round < 3; round++) {
                long cpu = processCpuNanos();
                long wall = System.nanoTime();
                assertThat(applier.verify(model).isEmpty()).isTrue();
                long wholeCpu = processCpuNanos() - cpu;
                long wholeWall = System.nanoTime() - wall;
                cpu = processCpuNanos();
                wall = System.nanoTime();
                long longest = 0;
                long declarations = 0;
                SteppedVerifier.Step slowest = null;
                for (SteppedVerifier.Step step : steps) {
                    long s = System.nanoTime();
                    long c = processCpuNanos();
                    assertThat(stepped.check(step, model).differences()).as(step.toString()).isEmpty();
                    long took = System.nanoTime() - s;
                    if (step.equals(SteppedVerifier.Step.DECLARATIONS)) {
                        declarations = processCpuNanos() - c;
                    }
                    if (took > longest) {
                        longest = took;
                        slowest = step;
                    }
                }
                long steppedCpu = processCpuNanos() - cpu;
                long steppedWall = System.nanoTime() - wall;
                System.out.printf("drift check, round %d: whole read-back %d ms CPU (%d ms wall); %d steps %d ms CPU "
                                + "(%d ms wall; declarations %d ms CPU; longest step %d ms wall: %s)%n", round + 1,
                        wholeCpu / 1_000_000, wholeWall / 1_000_000, steps.size(), steppedCpu / 1_000_000,
                        steppedWall / 1_000_000, declarations / 1_000_000, longest / 1_000_000, slowest);
            }
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
