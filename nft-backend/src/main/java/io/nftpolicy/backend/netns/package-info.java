/**
 * Network namespaces as the backend needs them: {@link io.nftpolicy.backend.netns.NetnsThread}, a thread that lives
 * inside one namespace (libnftables' context and every socket the lab opens live on one), and
 * {@link io.nftpolicy.backend.netns.NetworkNamespace}, a named namespace of one's own that tests, the lab and the
 * benchmarks create and delete.
 */
package io.nftpolicy.backend.netns;
