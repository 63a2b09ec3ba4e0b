/* addr.c: endpoint parsing and resolution, with libzmq's error numbers for bad endpoints. */
#include "addr.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <iphlpapi.h> /* GetAdaptersAddresses: link iphlpapi */
#else
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#endif

static int parse_port(const char *s, int for_bind, int *port)
{
    if (strcmp(s, "*") == 0) {
        if (!for_bind)
            return -EINVAL;
        *port = 0;
        return 0;
    }
    if (!*s)
        return -EINVAL;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > 65535)
            return -EINVAL;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return -EINVAL;
    *port = (int)v;
    return 0;
}

int zf_addr_parse(const char *endpoint, int for_bind, zf_addr *out)
{
    memset(out, 0, sizeof *out);
    const char *sep = strstr(endpoint, "://");
    if (!sep)
        return -EINVAL;
    size_t plen = (size_t)(sep - endpoint);
    const char *rest = sep + 3;
    if (plen == 3 && memcmp(endpoint, "tcp", 3) == 0) {
        out->transport = ZF_TCP;
        const char *semi = strchr(rest, ';'); /* "source;destination": we use the destination */
        if (semi && !for_bind)
            rest = semi + 1;
        const char *colon = strrchr(rest, ':');
        if (!colon)
            return -EINVAL;
        size_t hlen = (size_t)(colon - rest);
        if (hlen >= sizeof out->name)
            return -EINVAL;
        memcpy(out->name, rest, hlen);
        out->name[hlen] = 0;
        return parse_port(colon + 1, for_bind, &out->port);
    }
    if (plen == 3 && memcmp(endpoint, "ipc", 3) == 0) {
        out->transport = ZF_IPC;
        size_t n = strlen(rest);
        if (n == 0)
            return -EINVAL;
        if (n >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return -ENAMETOOLONG;
        memcpy(out->name, rest, n + 1);
        return 0;
    }
    if (plen == 6 && memcmp(endpoint, "inproc", 6) == 0) {
        out->transport = ZF_INPROC;
        size_t n = strlen(rest);
        if (n == 0 || n >= sizeof out->name)
            return -EINVAL;
        memcpy(out->name, rest, n + 1);
        return 0;
    }
    return -EPROTONOSUPPORT;
}

static int set_ip(zf_addr *a, int family, const void *ip)
{
    memset(&a->sa, 0, sizeof a->sa);
    if (family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)a->port);
        memcpy(&s4->sin_addr, ip, sizeof s4->sin_addr);
        a->salen = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)a->port);
        memcpy(&s6->sin6_addr, ip, sizeof s6->sin6_addr);
        a->salen = sizeof *s6;
    }
    return 0;
}

#ifdef _WIN32
/* Windows names an interface by its friendly name ("Ethernet", "Wi-Fi", UTF-16 here, compared
 * in UTF-8) or its adapter name (a GUID string); either is accepted, as in libzmq. */
static int from_interface(zf_addr *a, const char *name, int ipv6)
{
    ULONG len = 16384;
    IP_ADAPTER_ADDRESSES *list = NULL;
    ULONG rc = ERROR_BUFFER_OVERFLOW;
    for (int tries = 0; tries < 3 && rc == ERROR_BUFFER_OVERFLOW; tries++) {
        free(list);
        if (!(list = malloc(len)))
            return -ENOMEM;
        rc = GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER,
                                  NULL, list, &len);
    }
    int result = -ENODEV;
    for (IP_ADAPTER_ADDRESSES *ad = rc == NO_ERROR ? list : NULL; ad; ad = ad->Next) {
        char friendly[256];
        if (!WideCharToMultiByte(CP_UTF8, 0, ad->FriendlyName, -1, friendly, sizeof friendly, NULL, NULL))
            friendly[0] = 0;
        if (strcmp(friendly, name) != 0 && strcmp(ad->AdapterName, name) != 0)
            continue;
        for (IP_ADAPTER_UNICAST_ADDRESS *u = ad->FirstUnicastAddress; u; u = u->Next) {
            struct sockaddr *sa = u->Address.lpSockaddr;
            if (sa->sa_family == AF_INET) {
                result = set_ip(a, AF_INET, &((struct sockaddr_in *)sa)->sin_addr);
                break;
            }
            if (sa->sa_family == AF_INET6 && ipv6) {
                result = set_ip(a, AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr);
                break;
            }
        }
        break;
    }
    free(list);
    return result;
}
#else
static int from_interface(zf_addr *a, const char *name, int ipv6)
{
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) < 0)
        return -ENODEV;
    int rc = -ENODEV;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || strcmp(i->ifa_name, name) != 0)
            continue;
        int fam = i->ifa_addr->sa_family;
        if (fam == AF_INET) {
            rc = set_ip(a, AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
            break;
        }
        if (fam == AF_INET6 && ipv6) {
            rc = set_ip(a, AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
            break;
        }
    }
    freeifaddrs(ifs);
    return rc;
}
#endif

int zf_addr_resolve(zf_addr *a, int for_bind, int ipv6)
{
    if (a->transport == ZF_IPC) {
        struct sockaddr_un *un = (struct sockaddr_un *)&a->sa;
        memset(un, 0, sizeof *un);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, a->name, strlen(a->name) + 1); /* length checked by zf_addr_parse */
        a->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un->sun_path) + 1);
        return 0;
    }
    if (a->transport != ZF_TCP)
        return -EINVAL;
    int fail = for_bind ? -ENODEV : -EINVAL;
    char host[256];
    size_t n = strlen(a->name);
    if (n >= 2 && a->name[0] == '[' && a->name[n - 1] == ']') {
        memcpy(host, a->name + 1, n - 2);
        host[n - 2] = 0;
    } else {
        memcpy(host, a->name, n + 1);
    }
    if (for_bind && strcmp(host, "*") == 0) {
        if (ipv6) {
            return set_ip(a, AF_INET6, &in6addr_any);
        }
        struct in_addr any = {.s_addr = htonl(INADDR_ANY)};
        return set_ip(a, AF_INET, &any);
    }
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return set_ip(a, AF_INET, &v4);
    if (inet_pton(AF_INET6, host, &v6) == 1)
        return ipv6 ? set_ip(a, AF_INET6, &v6) : fail;
    if (!*host)
        return fail;
    if (for_bind && from_interface(a, host, ipv6) == 0)
        return 0;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = ipv6 ? AF_UNSPEC : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return fail;
    int rc = fail;
    for (struct addrinfo *r = res; r; r = r->ai_next) {
        if (r->ai_family == AF_INET) {
            rc = set_ip(a, AF_INET, &((struct sockaddr_in *)r->ai_addr)->sin_addr);
            break;
        }
        if (r->ai_family == AF_INET6 && ipv6) {
            rc = set_ip(a, AF_INET6, &((struct sockaddr_in6 *)r->ai_addr)->sin6_addr);
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}

void zf_addr_format(const zf_addr *a, char *buf, size_t cap)
{
    if (a->transport == ZF_IPC) {
        snprintf(buf, cap, "ipc://%s", a->name);
        return;
    }
    if (a->transport == ZF_INPROC) {
        snprintf(buf, cap, "inproc://%s", a->name);
        return;
    }
    char ip[INET6_ADDRSTRLEN] = "";
    if (a->sa.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(buf, cap, "tcp://[%s]:%d", ip, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(buf, cap, "tcp://%s:%d", ip, ntohs(s4->sin_port));
    }
}
