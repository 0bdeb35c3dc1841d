package io.nftpolicy.backend.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TextCommentsTest {
    /** {@code nft -t list table inet nftpolicy}, 1.0.6, abridged. */
    private static final String LISTING = """
            table inet nftpolicy {
            	comment "Kubernetes NetworkPolicy, compiled by nftpolicy"
            	map ingress-v4 {
            		type ipv4_addr : verdict
            		comment "local pods isolated for ingress"
            	}

            	set peer-1d2b870c-v4 {
            		type ipv4_addr
            		comment "all pods in namespaces project=myproject"
            	}

            	chain filter-forward {
            		comment "pod traffic crossing this node: egress of local pods, then ingress of local pods"
            		type filter hook forward priority filter; policy accept;
            		ct state established,related accept comment "replies and flows already allowed"
            	}

            	chain no-comment {
            		ip saddr @peer-1d2b870c-v4 accept comment "not the chain's"
            	}

            	chain egr-fdc9e1ef-dev_test-network-policy {
            		comment "egress of pods selected by dev/test-network-policy"
            		drop comment "isolated for egress by dev/test-network-policy"
            	}
            }
            """;

    @Test
    void readsTheTableCommentAndEachChainsOwn() {
        TextComments comments = TextComments.parse(LISTING, "inet", "nftpolicy");

        assertThat(comments.table()).hasValue("Kubernetes NetworkPolicy, compiled by nftpolicy");
        assertThat(comments.chains()).isEqualTo(Map.of(
                "filter-forward", "pod traffic crossing this node: egress of local pods, then ingress of local pods",
                "egr-fdc9e1ef-dev_test-network-policy", "egress of pods selected by dev/test-network-policy"));
    }

    @Test
    void listsEveryChainWithACommentOrNot() {
        // what the reader compares with the JSON listing's chains, to tell that both listings saw one table
        assertThat(TextComments.parse(LISTING, "inet", "nftpolicy").chainNames()).containsExactlyInAnyOrder(
                "filter-forward", "no-comment", "egr-fdc9e1ef-dev_test-network-policy");
    }

    @Test
    void aCommentAfterTheHookLineIsTheChainsToo() {
        TextComments comments = TextComments.parse("""
                table inet t {
                	chain c {
                		type filter hook input priority filter; policy accept;
                		comment "later versions may print it here"
                		drop
                	}
                }
                """, "inet", "t");

        assertThat(comments.table()).isEmpty();
        assertThat(comments.chains()).isEqualTo(Map.of("c", "later versions may print it here"));
    }

    @Test
    void aListingOfAnotherTableIsRefused() {
        assertThatThrownBy(() -> TextComments.parse(LISTING, "inet", "other"))
                .isInstanceOf(KernelTableFormatException.class).hasMessageContaining("table inet other {");
    }
}
