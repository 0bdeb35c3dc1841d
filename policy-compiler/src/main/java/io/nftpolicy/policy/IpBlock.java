package io.nftpolicy.policy;

import java.util.List;

/** An ipBlock peer, as written: the CIDRs are validated by the compiler. */
public record IpBlock(String cidr, List<String> except) {
    public IpBlock {
        except = List.copyOf(except == null ? List.of() : except);
    }
}
