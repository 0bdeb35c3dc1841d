package io.nftpolicy.backend.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.libnftables.OutputFlag;
import io.nftpolicy.backend.libnftables.TestNamespace;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The README's large node (10,000 pods, 2,000 policies, 20 nodes: node-0's ruleset) loaded through
 * {@link Nftables#run} in one transaction and read back whole: it must equal the model, and the times are printed.
 */
class ReadBackAtScaleTest {

    @Test
    void aLargeRulesetLoadsInOneTransactionAndReadsBackAsCompiled() throws NftablesException {
        Ruleset model = new PolicyCompiler().compile(ClusterGenerator.generate(
                new ClusterGenerator.Size(200, 50, 20, 10, 1L)), ClusterGenerator.nodeName(0)).ruleset();
        String script = NftRenderer.render(model);

        try (TestNamespace ns = TestNamespace.create("scale"); Nftables nft = Nftables.openInNamespace(ns.name())) {
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
            assertThat(read).isEqualTo(KernelReadBackTest.ModelView.of(model));
        }
    }
}
