package io.nftpolicy.cli;

/** The exit codes of every nftpolicy command. */
final class ExitCodes {
    /** Done; warnings do not change it. */
    static final int OK = 0;
    /**
     * sandbox --expect: the measured reachability differs from the expected one; verify: the kernel's table differs
     * from the snapshot's ruleset; explain: a connection asked about is denied.
     */
    static final int DIFFERENT = 1;
    /** A usage error, an unusable input file, or a host that cannot run the command (not root, missing tools). */
    static final int ERROR = 2;
    /** A bug in nftpolicy: an exception nobody expected. */
    static final int INTERNAL = 3;
    /** apply: the kernel refused the transaction; nothing of it was applied. */
    static final int REFUSED = 4;

    private ExitCodes() {}
}
