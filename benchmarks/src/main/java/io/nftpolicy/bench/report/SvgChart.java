package io.nftpolicy.bench.report;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.DoubleStream;
import java.util.stream.Stream;

/**
 * A line/point chart written as a standalone SVG file, so that benchmark runs can regenerate the plots in docs/img
 * without a plotting library. Immutable: each {@code with...} returns a new chart. The output is deterministic (same
 * chart, same bytes), so regenerated plots only show up in a diff when a figure changed.
 *
 * <pre>{@code
 * SvgChart.of("Full compile", Axis.log("pods"), Axis.log("ms"))
 *     .with(Series.line("200 policies", List.of(new Point(1_000, 40), new Point(10_000, 380))))
 *     .withReference("goal 1 s", 1_000)
 *     .writeTo(Path.of("docs/img/compile.svg"));
 * }</pre>
 */
public record SvgChart(String title, Axis x, Axis y, List<Series> series, List<Reference> references) {

    public enum Scale { LINEAR, LOG }

    /** An axis: its label (with the unit, e.g. "time (ms)") and its scale. */
    public record Axis(String label, Scale scale) {
        public Axis {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(scale, "scale");
        }

        public static Axis linear(String label) {
            return new Axis(label, Scale.LINEAR);
        }

        public static Axis log(String label) {
            return new Axis(label, Scale.LOG);
        }
    }

    public record Point(double x, double y) {
        public Point {
            if (!Double.isFinite(x) || !Double.isFinite(y)) {
                throw new IllegalArgumentException("point (" + x + ", " + y + "): coordinates must be finite");
            }
        }
    }

    /** A named series: its points joined by a line ({@link #line}) or markers only ({@link #points}). */
    public record Series(String name, List<Point> points, boolean joined) {
        public Series {
            Objects.requireNonNull(name, "name");
            points = List.copyOf(points);
            if (points.isEmpty()) {
                throw new IllegalArgumentException("series \"" + name + "\": no points");
            }
        }

        public static Series line(String name, List<Point> points) {
            return new Series(name, points, true);
        }

        public static Series points(String name, List<Point> points) {
            return new Series(name, points, false);
        }
    }

    /** A dashed horizontal line across the plot, e.g. a goal ("goal: 1 KB"). */
    public record Reference(String label, double y) {
        public Reference {
            Objects.requireNonNull(label, "label");
            if (!Double.isFinite(y)) {
                throw new IllegalArgumentException("reference \"" + label + "\": y must be finite");
            }
        }
    }

    public SvgChart {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        series = List.copyOf(series);
        references = List.copyOf(references);
    }

    public static SvgChart of(String title, Axis x, Axis y) {
        return new SvgChart(title, x, y, List.of(), List.of());
    }

    public SvgChart with(Series added) {
        List<Series> all = new ArrayList<>(series);
        all.add(added);
        return new SvgChart(title, x, y, all, references);
    }

    public SvgChart withReference(String label, double value) {
        List<Reference> all = new ArrayList<>(references);
        all.add(new Reference(label, value));
        return new SvgChart(title, x, y, series, all);
    }

    public void writeTo(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, toSvg(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart \"" + title + "\" to " + file, e);
        }
    }

    // Okabe-Ito: distinguishable for the common colour-vision deficiencies; markers differ too.
    private static final String[] COLOURS = {
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};
    private static final int WIDTH = 760;
    private static final int HEIGHT = 440;
    private static final int LEFT = 78;
    private static final int TOP = 44;
    private static final int BOTTOM = 58;
    private static final int CHAR_WIDTH = 7;
    private static final int INSET = 8;

    public String toSvg() {
        if (series.isEmpty()) {
            throw new IllegalStateException("chart \"" + title + "\": no series");
        }
        checkLogScale();
        int legendWidth = 44 + CHAR_WIDTH * series.stream().mapToInt(s -> s.name().length()).max().orElse(0);
        int plotWidth = WIDTH - LEFT - 16 - legendWidth;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        Mapping xs = Mapping.of(x.scale(), points().mapToDouble(Point::x), LEFT, LEFT + plotWidth);
        Mapping ys = Mapping.of(y.scale(),
            DoubleStream.concat(points().mapToDouble(Point::y), references.stream().mapToDouble(Reference::y)),
            TOP + plotHeight, TOP);

        StringBuilder svg = new StringBuilder(8_192);
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
            .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
            .append("\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n");
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(svg, WIDTH / 2.0, 24, "middle", "font-size=\"15\" font-weight=\"bold\"", title);

        for (double tick : xs.ticks()) {
            double px = xs.toPixel(tick);
            line(svg, px, TOP, px, TOP + plotHeight, "#e4e4e4", "");
            text(svg, px, TOP + plotHeight + 16, "middle", "", format(tick));
        }
        for (double tick : ys.ticks()) {
            double py = ys.toPixel(tick);
            line(svg, LEFT, py, LEFT + plotWidth, py, "#e4e4e4", "");
            text(svg, LEFT - 6, py + 4, "end", "", format(tick));
        }
        svg.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(plotWidth)
            .append("\" height=\"").append(plotHeight).append("\" fill=\"none\" stroke=\"#444\"/>\n");
        text(svg, LEFT + plotWidth / 2.0, HEIGHT - 16, "middle", "", x.label() + scaleNote(x));
        svg.append("<text transform=\"translate(18 ").append(num(TOP + plotHeight / 2.0))
            .append(") rotate(-90)\" text-anchor=\"middle\">").append(escape(y.label() + scaleNote(y)))
            .append("</text>\n");

        for (Reference reference : references) {
            double py = ys.toPixel(reference.y());
            line(svg, LEFT, py, LEFT + plotWidth, py, "#888", " stroke-dasharray=\"6 4\"");
            double labelY = py - TOP < 18 ? py + 15 : py - 5;
            // A white halo keeps the label readable where a series crosses it.
            text(svg, LEFT + 6, labelY, "start",
                "fill=\"#555\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"", reference.label());
        }

        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String colour = COLOURS[i % COLOURS.length];
            List<Point> sorted = s.points().stream()
                .sorted((a, b) -> Double.compare(a.x(), b.x())).toList();
            if (s.joined() && sorted.size() > 1) {
                svg.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"");
                for (Point p : sorted) {
                    svg.append(num(xs.toPixel(p.x()))).append(',').append(num(ys.toPixel(p.y()))).append(' ');
                }
                svg.setLength(svg.length() - 1);
                svg.append("\"/>\n");
            }
            for (Point p : sorted) {
                svg.append("<g><title>").append(escape(s.name() + ": " + format(p.x()) + ", " + format(p.y())))
                    .append("</title>");
                marker(svg, i, xs.toPixel(p.x()), ys.toPixel(p.y()), colour);
                svg.append("</g>\n");
            }
            double legendX = LEFT + plotWidth + 16;
            double legendY = TOP + 10 + 20 * i;
            if (s.joined()) {
                line(svg, legendX, legendY, legendX + 24, legendY, colour, " stroke-width=\"2\"");
            }
            marker(svg, i, legendX + 12, legendY, colour);
            text(svg, legendX + 30, legendY + 4, "start", "", s.name());
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private Stream<Point> points() {
        return series.stream().flatMap(s -> s.points().stream());
    }

    private void checkLogScale() {
        for (Series s : series) {
            for (Point p : s.points()) {
                if (x.scale() == Scale.LOG && p.x() <= 0 || y.scale() == Scale.LOG && p.y() <= 0) {
                    throw new IllegalArgumentException("chart \"" + title + "\", series \"" + s.name() + "\": point ("
                        + format(p.x()) + ", " + format(p.y()) + ") cannot be shown on a log scale (not above 0)");
                }
            }
        }
        for (Reference r : references) {
            if (y.scale() == Scale.LOG && r.y() <= 0) {
                throw new IllegalArgumentException("chart \"" + title + "\", reference \"" + r.label()
                    + "\": " + format(r.y()) + " cannot be shown on a log scale (not above 0)");
            }
        }
    }

    private static String scaleNote(Axis axis) {
        return axis.scale() == Scale.LOG ? " (log scale)" : "";
    }

    private static void marker(StringBuilder svg, int index, double px, double py, String colour) {
        String fill = "fill=\"" + colour + "\"";
        switch (index % 4) {
            case 0 -> svg.append("<circle cx=\"").append(num(px)).append("\" cy=\"").append(num(py))
                .append("\" r=\"4\" ").append(fill).append("/>");
            case 1 -> svg.append("<rect x=\"").append(num(px - 4)).append("\" y=\"").append(num(py - 4))
                .append("\" width=\"8\" height=\"8\" ").append(fill).append("/>");
            case 2 -> svg.append("<polygon points=\"").append(num(px)).append(',').append(num(py - 5)).append(' ')
                .append(num(px + 5)).append(',').append(num(py + 4)).append(' ').append(num(px - 5)).append(',')
                .append(num(py + 4)).append("\" ").append(fill).append("/>");
            default -> svg.append("<polygon points=\"").append(num(px)).append(',').append(num(py - 5)).append(' ')
                .append(num(px + 5)).append(',').append(num(py)).append(' ').append(num(px)).append(',')
                .append(num(py + 5)).append(' ').append(num(px - 5)).append(',').append(num(py)).append("\" ")
                .append(fill).append("/>");
        }
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2, String colour,
                             String extra) {
        svg.append("<line x1=\"").append(num(x1)).append("\" y1=\"").append(num(y1)).append("\" x2=\"")
            .append(num(x2)).append("\" y2=\"").append(num(y2)).append("\" stroke=\"").append(colour).append('"')
            .append(extra).append("/>\n");
    }

    private static void text(StringBuilder svg, double px, double py, String anchor, String attributes, String s) {
        svg.append("<text x=\"").append(num(px)).append("\" y=\"").append(num(py)).append("\" text-anchor=\"")
            .append(anchor).append('"').append(attributes.isEmpty() ? "" : " " + attributes).append('>')
            .append(escape(s)).append("</text>\n");
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** A tick label: 1.5k, 10k, 2M for large values; up to three significant decimals for small ones. */
    static String format(double v) {
        double a = Math.abs(v);
        if (a >= 1e9) {
            return trim(v / 1e9) + "G";
        }
        if (a >= 1e6) {
            return trim(v / 1e6) + "M";
        }
        if (a >= 1e4 || a >= 1e3 && trim(v / 1e3).length() <= 3) {
            return trim(v / 1e3) + "k";
        }
        return trim(v);
    }

    private static String trim(double v) {
        String s = new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
        return s.equals("-0") ? "0" : s;
    }

    /** Data range → pixel range, with the ticks to draw. */
    private record Mapping(Scale scale, double low, double high, double pixelLow, double pixelHigh,
                           List<Double> ticks) {

        static Mapping of(Scale scale, DoubleStream values, double pixelLow, double pixelHigh) {
            double[] all = values.toArray();
            double min = DoubleStream.of(all).min().orElseThrow();
            double max = DoubleStream.of(all).max().orElseThrow();
            return scale == Scale.LOG ? log(min, max, pixelLow, pixelHigh) : linear(min, max, pixelLow, pixelHigh);
        }

        private static Mapping log(double min, double max, double pixelLow, double pixelHigh) {
            double low = Math.pow(10, Math.floor(Math.log10(min)));
            double high = Math.pow(10, Math.ceil(Math.log10(max)));
            if (high <= low) {
                high = low * 10;
            }
            List<Double> ticks = new ArrayList<>();
            int decades = (int) Math.round(Math.log10(high / low));
            // Few decades: label 1-2-5 within each so the reader still has something to read values against.
            double[] steps = decades <= 2 ? new double[] {1, 2, 5} : new double[] {1};
            for (double decade = low; decade <= high * 1.0001; decade *= 10) {
                for (double step : steps) {
                    double tick = decade * step;
                    if (tick <= high * 1.0001) {
                        ticks.add(tick);
                    }
                }
            }
            return new Mapping(Scale.LOG, low, high, pixelLow, pixelHigh, ticks);
        }

        private static Mapping linear(double min, double max, double pixelLow, double pixelHigh) {
            // A linear axis starts at zero when the data allow it: a truncated axis exaggerates differences.
            double from = Math.min(0, min);
            double to = Math.max(0, max);
            if (to == from) {
                to = from + 1;
            }
            double step = niceStep((to - from) / 6);
            double low = Math.floor(from / step) * step;
            double high = Math.ceil(to / step) * step;
            List<Double> ticks = new ArrayList<>();
            for (int i = 0; low + i * step <= high + step / 1e6; i++) {
                ticks.add(low + i * step);
            }
            return new Mapping(Scale.LINEAR, low, high, pixelLow, pixelHigh, ticks);
        }

        private static double niceStep(double rough) {
            double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
            double fraction = rough / magnitude;
            double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
            return nice * magnitude;
        }

        double toPixel(double value) {
            double share = scale == Scale.LOG
                ? Math.log(value / low) / Math.log(high / low)
                : (value - low) / (high - low);
            // Inset so that markers on the range's ends are not cut by the frame.
            double inset = Math.signum(pixelHigh - pixelLow) * INSET;
            return pixelLow + inset + share * (pixelHigh - pixelLow - 2 * inset);
        }
    }
}
