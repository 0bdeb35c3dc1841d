package io.nftpolicy.cli;

import io.nftpolicy.agent.metrics.BuildInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code nftpolicy version}. */
@Command(name = "version", description = "Print the version of nftpolicy.")
final class VersionCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().println(version());
        spec.commandLine().getOut().flush();
    }

    /** {@code nftpolicy <version>}; the version is the Maven project's, filtered into a resource at build time. */
    static String version() {
        BuildInfo build = BuildInfo.current();
        return "nftpolicy " + (build.version().isEmpty() ? "(unknown version)" : build.version());
    }

    /** Serves {@code nftpolicy --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {version()};
        }
    }
}
