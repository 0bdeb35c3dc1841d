package io.nftpolicy.bench.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.bench.compile.BenchCluster;
import io.nftpolicy.bench.compile.BenchCluster.Change;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SizeMeasurementTest {
    private static final BenchCluster CLUSTER = BenchCluster.generate(1_000, 200);

    @Test
    void countsTheCompiledRuleset() throws Exception {
        Ruleset ruleset = new PolicyCompiler().compile(CLUSTER.snapshot(), BenchCluster.NODE).ruleset();

        SizeFigures figures = new SizeMeasurement(1, false).measure(CLUSTER);

        assertThat(figures.chains()).isEqualTo(ruleset.chains().size());
        assertThat(figures.rules()).isEqualTo(ruleset.ruleCount());
        assertThat(figures.sets()).isEqualTo(ruleset.sets().size() + ruleset.maps().size());
        assertThat(figures.elements()).isEqualTo(ruleset.elementCount());
        assertThat(figures.renderedBytes())
                .isEqualTo(NftRenderer.render(ruleset).getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void aPodAddedSendsOnlyElementsAndItsUndoDeletesThem() throws Exception {
        SizeFigures.Transaction added = new SizeMeasurement(1, false).measure(CLUSTER).changes().get(Change.ADD_POD);

        assertThat(added.script().lines()).isNotEmpty().allMatch(l -> l.startsWith("add element "));
        assertThat(added.bytes()).isEqualTo(added.script().getBytes(StandardCharsets.UTF_8).length);
        assertThat(added.undoBytes()).isPositive();
        assertThat(added.kernelMillis()).isEmpty();
    }

    @Test
    void theReportHasARowPerSizeAndWritesFivePlots(@TempDir Path dir) throws Exception {
        SizeMeasurement measurement = new SizeMeasurement(1, false);
        ScalingReport report = new ScalingReport(List.of(
                measurement.measure(BenchCluster.generate(100, 20)), measurement.measure(CLUSTER)));

        String table = report.table().toString();
        List<Path> charts = report.writeCharts(dir);

        assertThat(table.lines()).hasSize(4);
        assertThat(table.lines().skip(3).findFirst().orElseThrow()).startsWith("| 1,000 |      200 |");
        assertThat(charts).hasSize(5).allMatch(Files::isRegularFile);
        assertThat(Files.readString(dir.resolve("scaling-transaction-density.svg"))).contains("add-pod", "policies per namespace");
    }

    @Test
    void commentsAreCountedOut() {
        assertThat(ScalingReport.withoutComments("add element inet t s { 10.0.0.1 comment \"ns/a\" }"))
                .isEqualTo("add element inet t s { 10.0.0.1 }".length());
    }
}
