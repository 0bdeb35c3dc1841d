/** What judging established flows again costs, and how fast it cuts them: {@code bin/bench established}. */
package io.nftpolicy.bench.established;
