# Hand-written from reference/vendor-syntax.md §3.3
sysctl -w net.ipv4.ip_forward=1
ip link add xfrm-a type xfrm dev eth0 if_id 1
ip link add xfrm-b type xfrm dev eth0 if_id 2
ip link set xfrm-a mtu 1450 up
ip link set xfrm-b mtu 1450 up
ip addr add 10.252.0.1/31 dev xfrm-a
ip addr add 10.252.0.3/31 dev xfrm-b
sysctl -w net.ipv4.conf.all.rp_filter=2
sysctl -w net.ipv4.conf.xfrm-a.rp_filter=2
sysctl -w net.ipv4.conf.xfrm-b.rp_filter=2
sysctl -w net.ipv4.conf.xfrm-a.accept_local=1
sysctl -w net.ipv4.conf.xfrm-b.accept_local=1
ip route replace 192.0.2.10/32 via 203.0.113.1 dev eth0
ip route replace 192.0.2.20/32 via 203.0.113.1 dev eth0
ip route replace 10.20.0.0/16 nexthop via 10.252.0.0 dev xfrm-a weight 1 nexthop via 10.252.0.2 dev xfrm-b weight 1
# primary/backup instead of ECMP:
# ip route replace 10.20.0.0/16 via 10.252.0.0 dev xfrm-a metric 100
# ip route replace 10.20.0.0/16 via 10.252.0.2 dev xfrm-b metric 200
# GRE instead of IPsec (tunnel A; B analogous with 192.0.2.20 / 10.252.0.3/31):
ip tunnel add gre-a mode gre local 203.0.113.10 remote 192.0.2.10 ttl 64
ip link set gre-a mtu 1476 up
ip addr add 10.252.0.1/31 dev gre-a
# MSS clamping
nft add table inet cf_mss
nft add chain inet cf_mss fwd '{ type filter hook forward priority -150; policy accept; }'
nft add rule inet cf_mss fwd oifname "xfrm-a" tcp flags syn tcp option maxseg size set 1360
nft add rule inet cf_mss fwd iifname "xfrm-a" tcp flags syn tcp option maxseg size set 1360
nft add rule inet cf_mss fwd oifname "gre-a" tcp flags syn tcp option maxseg size set 1436
