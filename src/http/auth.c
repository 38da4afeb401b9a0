#include "http/auth.h"
int http_auth_new(const struct http_auth_config *cfg, struct http_auth **out, char *err, size_t err_size) {(void)cfg;(void)err;(void)err_size;*out=NULL;return -1;}
void http_auth_free(struct http_auth *a){(void)a;}
bool http_auth_required(const struct http_auth *a){(void)a;return false;}
enum http_auth_verdict http_auth_check(struct http_auth *a, const char *authorization, char *subject, size_t subject_size, char *challenge, size_t challenge_size, char *why, size_t why_size){(void)a;(void)authorization;(void)subject;(void)subject_size;(void)challenge;(void)challenge_size;(void)why;(void)why_size;return HTTP_AUTH_OK;}
json_t *http_auth_resource_metadata(const struct http_auth *a){(void)a;return NULL;}
