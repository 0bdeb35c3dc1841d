/**
 * How benchmarks write their results: {@link io.nftpolicy.bench.report.SvgChart} for the plots in docs/img and
 * {@link io.nftpolicy.bench.report.MarkdownTable} for the tables printed and pasted into docs/benchmarks.md. No
 * dependencies, deterministic output.
 */
package io.nftpolicy.bench.report;
