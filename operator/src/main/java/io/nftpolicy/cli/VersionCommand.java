package io.nftpolicy.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
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
        Properties properties = new Properties();
        try (InputStream in = VersionCommand.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // fall through to "unknown"
        }
        String version = properties.getProperty("version", "");
        return "nftpolicy " + (version.isEmpty() || version.startsWith("${") ? "(unknown version)" : version);
    }

    /** Serves {@code nftpolicy --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {version()};
        }
    }
}
