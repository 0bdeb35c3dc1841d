/**
 * The compiler under JMH ({@code bin/bench compile}): full compile and render, and one change recompiled
 * incrementally next to a full compile.
 */
package io.nftpolicy.bench.compile;
