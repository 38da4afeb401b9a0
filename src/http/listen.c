#include "http/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse(const char *spec, struct http_address *addr, char *err, size_t err_size)
{
	const char *colon = strrchr(spec, ':'), *port = colon ? colon + 1 : spec;
	size_t host_len = colon ? (size_t)(colon - spec) : 0;
	char *end;
	unsigned long n;

	if (!colon)
		strcpy(addr->host, "127.0.0.1");
	else {
		if (host_len >= 2 && spec[0] == '[' && spec[host_len - 1] == ']') {
			spec++;
			host_len -= 2;
		}
		if (host_len == 0 || host_len >= sizeof addr->host) {
			snprintf(err, err_size, "--http %s: expected HOST:PORT or PORT", spec);
			return -EINVAL;
		}
		memcpy(addr->host, spec, host_len);
		addr->host[host_len] = '\0';
	}
	errno = 0;
	n = strtoul(port, &end, 10);
	if (!*port || *end || errno || n > 65535) {
		snprintf(err, err_size, "--http: \"%s\" is not a port", port);
		return -EINVAL;
	}
	addr->port = (unsigned)n;
	if (strcmp(addr->host, "localhost") == 0)
		strcpy(addr->host, "127.0.0.1");
	return 0;
}

int http_listen(const char *spec, struct http_address *addr, char *err, size_t err_size)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1, rc;

	memset(addr, 0, sizeof *addr);
	if ((rc = parse(spec, addr, err, err_size)) != 0)
		return rc;
	if (inet_pton(AF_INET, addr->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(addr->port);
		len = sizeof *in4;
		addr->loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
		addr->wildcard = in4->sin_addr.s_addr == htonl(INADDR_ANY);
	} else if (inet_pton(AF_INET6, addr->host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(addr->port);
		len = sizeof *in6;
		addr->ipv6 = true;
		addr->loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
		addr->wildcard = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	} else {
		snprintf(err, err_size, "--http: \"%s\" is not an IP address", addr->host);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "socket: %s", strerror(errno));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		rc = -errno;
		snprintf(err, err_size, "--http %s: %s", spec, strerror(errno));
		close(fd);
		return rc;
	}
	addr->port = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
	return fd;
}

void http_address_format(const struct http_address *addr, char *out, size_t size)
{
	snprintf(out, size, addr->ipv6 ? "[%s]:%u" : "%s:%u", addr->host, addr->port);
}
