package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.sync.NftObject.Element;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.Rule;
import java.util.List;
import java.util.Optional;

/** Element keys and elements written as nft writes them, for tests that change the fake or the kernel by hand. */
public final class Keys {
    private Keys() {}

    /** {@code 10.0.0.1}, {@code 10.1.0.0/24} or {@code 10.1.0.0-10.1.0.9}. */
    public static List<KeyPart> ip(String text) {
        IpRange range;
        if (text.contains("/")) {
            String[] p = text.split("/");
            range = IpRange.prefix(IpAddress.parse(p[0]), Integer.parseInt(p[1]));
        } else if (text.contains("-")) {
            String[] p = text.split("-");
            range = new IpRange(IpAddress.parse(p[0]), IpAddress.parse(p[1]));
        } else {
            range = IpRange.single(IpAddress.parse(text));
        }
        return List.of(new KeyPart.Addresses(range));
    }

    /** A set element with an address key. */
    public static Element element(String set, String ip, String comment) {
        return new Element(set, ip(ip), comment, Optional.empty());
    }

    /** A map element: the address jumps to {@code chain}. */
    public static Element jump(String map, String ip, String comment, String chain) {
        return new Element(map, ip(ip), comment, Optional.of(chain));
    }

    /**
     * Four hand edits of the demo's table: an element of {@code peer-9a3bd8b3-v4} deleted, a stranger's dispatch
     * element, a rule appended, a set of someone else's.
     */
    public static Transaction handEdits() {
        return new Transaction()
                .delete(key("peer-9a3bd8b3-v4", "10.244.1.11"))
                .add(jump("ingress-v4", "10.244.1.77", "stranger", "ing-e2d199a7-dev_test-network-policy"))
                .addRule("ing-e2d199a7-dev_test-network-policy", Rule.of("accept", "by hand"))
                .add(new NftObject.Set("leftover", List.of(KeyType.IPV4_ADDR), false, ""));
    }

    /** An element to delete, by its address key. */
    public static Element key(String container, String ip) {
        return Element.key(container, ip(ip));
    }
}
