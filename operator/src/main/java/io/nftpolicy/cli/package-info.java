/**
 * The {@code nftpolicy} command line (picocli): compile, apply, verify, explain, sandbox, generate, run; exit
 * codes and the one-line messages users see.
 */
package io.nftpolicy.cli;
