package io.nftpolicy.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.bench.report.SvgChart.Axis;
import io.nftpolicy.bench.report.SvgChart.Point;
import io.nftpolicy.bench.report.SvgChart.Series;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class SvgChartTest {

    private static final SvgChart COMPILE = SvgChart.of("Full compile <node-0>", Axis.log("pods"), Axis.log("ms"))
        .with(Series.line("200 policies", List.of(new Point(1_000, 40), new Point(10_000, 380))))
        .with(Series.points("2k policies", List.of(new Point(1_000, 90), new Point(10_000, 900))))
        .withReference("goal 1 s", 1_000);

    @Test
    void isWellFormedXmlWithTheTitleAxisLabelsAndEveryLegendEntry() throws Exception {
        Document svg = parse(COMPILE.toSvg());

        assertThat(svg.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(texts(svg)).contains("Full compile <node-0>", "pods (log scale)", "ms (log scale)",
            "200 policies", "2k policies", "goal 1 s");
    }

    @Test
    void joinedSeriesAreDrawnAsALineAndPointSeriesAsMarkersOnly() throws Exception {
        Document svg = parse(COMPILE.toSvg());

        assertThat(svg.getElementsByTagName("polyline").getLength()).isEqualTo(1);
    }

    @Test
    void aLogAxisIsLabelledAtEachPowerOfTenOfTheData() throws Exception {
        List<String> labels = texts(parse(COMPILE.toSvg()));

        assertThat(labels).contains("1k", "10k", "100", "1k");
    }

    @Test
    void aLinearAxisStartsAtZeroWithRoundTicks() throws Exception {
        SvgChart chart = SvgChart.of("t", Axis.linear("pods"), Axis.linear("bytes"))
            .with(Series.line("one change", List.of(new Point(100, 310), new Point(10_000, 330))));

        List<String> labels = texts(parse(chart.toSvg()));

        assertThat(labels).contains("0", "100", "200", "300", "2k", "10k");
    }

    @Test
    void theSameChartGivesTheSameBytes() {
        SvgChart again = SvgChart.of("Full compile <node-0>", Axis.log("pods"), Axis.log("ms"))
            .with(Series.line("200 policies", List.of(new Point(10_000, 380), new Point(1_000, 40))))
            .with(Series.points("2k policies", List.of(new Point(1_000, 90), new Point(10_000, 900))))
            .withReference("goal 1 s", 1_000);

        assertThat(again.toSvg()).isEqualTo(COMPILE.toSvg());
    }

    @Test
    void writesTheFileCreatingItsDirectory(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("img/compile.svg");

        COMPILE.writeTo(file);

        assertThat(Files.readString(file)).isEqualTo(COMPILE.toSvg());
    }

    @Test
    void aPointThatALogScaleCannotShowIsAnErrorNamingTheSeries() {
        SvgChart chart = SvgChart.of("t", Axis.log("pods"), Axis.linear("ms"))
            .with(Series.line("full", List.of(new Point(0, 1))));

        assertThatThrownBy(chart::toSvg).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("series \"full\"").hasMessageContaining("log scale");
    }

    @Test
    void aChartWithoutSeriesCannotBeDrawn() {
        assertThatThrownBy(SvgChart.of("empty", Axis.log("x"), Axis.log("y"))::toSvg)
            .hasMessageContaining("\"empty\": no series");
    }

    @Test
    void tickLabelsAreShort() {
        assertThat(SvgChart.format(1_500)).isEqualTo("1.5k");
        assertThat(SvgChart.format(20_000)).isEqualTo("20k");
        assertThat(SvgChart.format(2_000_000)).isEqualTo("2M");
        assertThat(SvgChart.format(0.05)).isEqualTo("0.05");
        assertThat(SvgChart.format(250)).isEqualTo("250");
    }

    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> texts(Document svg) {
        var nodes = svg.getElementsByTagName("text");
        return java.util.stream.IntStream.range(0, nodes.getLength())
            .mapToObj(i -> nodes.item(i).getTextContent()).toList();
    }
}
