// Generated from src/client.ts by `npm run build:client`: do not edit.
import { type ClientRequestOptions } from 'hono/client';
/**
 * A typed client of an edge-auth deployment, for a browser, React Native or Node app:
 * `createClient('https://auth.example.com').api.v1.auth.login.$post({ json: { phone, password } })`.
 * Request and response bodies are typed from the service's own route schemas.
 */
export declare function createClient(baseUrl: string, options?: ClientRequestOptions): {
    health: import("hono/client").ClientRequest<string, "/health", {
        $get: {
            input: {};
            output: {
                status: "ok" | "degraded";
                checks: {
                    db: "ok" | "fail";
                    kv: "ok" | "fail";
                };
            };
            outputFormat: "json";
            status: 503;
        } | {
            input: {};
            output: {
                status: "ok" | "degraded";
                checks: {
                    db: "ok" | "fail";
                    kv: "ok" | "fail";
                };
            };
            outputFormat: "json";
            status: 200;
        };
    }>;
} & {
    ".well-known": {
        "jwks.json": import("hono/client").ClientRequest<string, "/.well-known/jwks.json", {
            $get: {
                input: {};
                output: {
                    keys: {
                        [x: string]: import("hono/utils/types").JSONValue;
                    }[];
                };
                outputFormat: "json";
                status: 200;
            };
        }>;
    };
} & {
    api: {
        v1: {
            "oauth-clients": import("hono/client").ClientRequest<string, "/api/v1/oauth-clients", {
                $post: {
                    input: {
                        json: {
                            name: string;
                            type: "public" | "confidential";
                            redirect_uris: string[];
                            post_logout_redirect_uris?: string[] | undefined;
                            grant_types?: ("refresh_token" | "authorization_code" | "client_credentials")[] | undefined;
                            scopes?: ("email" | "phone" | "openid" | "profile" | "offline_access")[] | undefined;
                            pool?: string | undefined;
                            first_party?: boolean | undefined;
                            id_token_signed_response_alg?: "RS256" | "EdDSA" | "ES256" | undefined;
                            user_id?: string | null | undefined;
                        };
                    };
                    output: {
                        client_id: string;
                        name: string;
                        type: "public" | "confidential";
                        pool: string;
                        redirect_uris: string[];
                        post_logout_redirect_uris: string[];
                        grant_types: ("refresh_token" | "authorization_code" | "client_credentials")[];
                        scopes: ("email" | "phone" | "openid" | "profile" | "offline_access")[];
                        first_party: boolean;
                        id_token_signed_response_alg: "RS256" | "EdDSA" | "ES256";
                        user_id: string | null;
                        created_at: string;
                        updated_at: string;
                        secret_rotated_at: string | null;
                        client_secret?: string | undefined;
                    };
                    outputFormat: "json";
                    status: 201;
                };
                $get: {
                    input: {
                        query: {
                            limit?: unknown;
                            cursor?: string | undefined;
                            pool?: string | undefined;
                        };
                    };
                    output: {
                        items: {
                            client_id: string;
                            name: string;
                            type: "public" | "confidential";
                            pool: string;
                            redirect_uris: string[];
                            post_logout_redirect_uris: string[];
                            grant_types: ("refresh_token" | "authorization_code" | "client_credentials")[];
                            scopes: ("email" | "phone" | "openid" | "profile" | "offline_access")[];
                            first_party: boolean;
                            id_token_signed_response_alg: "RS256" | "EdDSA" | "ES256";
                            user_id: string | null;
                            created_at: string;
                            updated_at: string;
                            secret_rotated_at: string | null;
                        }[];
                        next_cursor: string | null;
                    };
                    outputFormat: "json";
                    status: 200;
                };
            }>;
        };
    };
} & {
    api: {
        v1: {
            "oauth-clients": {
                ":client_id": import("hono/client").ClientRequest<string, "/api/v1/oauth-clients/:client_id", {
                    $get: {
                        input: {
                            param: {
                                client_id: string;
                            };
                        };
                        output: {
                            client_id: string;
                            name: string;
                            type: "public" | "confidential";
                            pool: string;
                            redirect_uris: string[];
                            post_logout_redirect_uris: string[];
                            grant_types: ("refresh_token" | "authorization_code" | "client_credentials")[];
                            scopes: ("email" | "phone" | "openid" | "profile" | "offline_access")[];
                            first_party: boolean;
                            id_token_signed_response_alg: "RS256" | "EdDSA" | "ES256";
                            user_id: string | null;
                            created_at: string;
                            updated_at: string;
                            secret_rotated_at: string | null;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                    $patch: {
                        input: {
                            param: {
                                client_id: string;
                            };
                        } & {
                            json: {
                                name?: string | undefined;
                                redirect_uris?: string[] | undefined;
                                post_logout_redirect_uris?: string[] | undefined;
                                grant_types?: ("refresh_token" | "authorization_code" | "client_credentials")[] | undefined;
                                scopes?: ("email" | "phone" | "openid" | "profile" | "offline_access")[] | undefined;
                                first_party?: boolean | undefined;
                                id_token_signed_response_alg?: "RS256" | "EdDSA" | "ES256" | undefined;
                                user_id?: string | null | undefined;
                            };
                        };
                        output: {
                            client_id: string;
                            name: string;
                            type: "public" | "confidential";
                            pool: string;
                            redirect_uris: string[];
                            post_logout_redirect_uris: string[];
                            grant_types: ("refresh_token" | "authorization_code" | "client_credentials")[];
                            scopes: ("email" | "phone" | "openid" | "profile" | "offline_access")[];
                            first_party: boolean;
                            id_token_signed_response_alg: "RS256" | "EdDSA" | "ES256";
                            user_id: string | null;
                            created_at: string;
                            updated_at: string;
                            secret_rotated_at: string | null;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                    $delete: {
                        input: {
                            param: {
                                client_id: string;
                            };
                        };
                        output: {};
                        outputFormat: string;
                        status: 204;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            "oauth-clients": {
                ":client_id": {
                    secret: import("hono/client").ClientRequest<string, "/api/v1/oauth-clients/:client_id/secret", {
                        $post: {
                            input: {
                                param: {
                                    client_id: string;
                                };
                            };
                            output: {
                                client_secret: string;
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            audit: import("hono/client").ClientRequest<string, "/api/v1/audit", {
                $get: {
                    input: {
                        query: {
                            limit?: unknown;
                            cursor?: string | undefined;
                            user_id?: string | undefined;
                            type?: string | undefined;
                        };
                    };
                    output: {
                        items: {
                            id: string;
                            at: string;
                            type: string;
                            actor_id: string | null;
                            subject_id: string | null;
                            pool: string;
                            ip: string | null;
                            user_agent: string | null;
                            detail: {
                                [x: string]: import("hono/utils/types").JSONValue;
                            } | null;
                        }[];
                        next_cursor: string | null;
                    };
                    outputFormat: "json";
                    status: 200;
                };
            }>;
        };
    };
} & {
    api: {
        v1: {
            places: import("hono/client").ClientRequest<string, "/api/v1/places", {
                $get: {
                    input: {
                        query: {
                            limit?: unknown;
                            cursor?: string | undefined;
                        };
                    };
                    output: {
                        items: {
                            id: string;
                            name: string;
                            kind: "ev_charger" | "swap_station";
                            lat: number;
                            lng: number;
                            address: string | null;
                            created_at: string;
                        }[];
                        next_cursor: string | null;
                    };
                    outputFormat: "json";
                    status: 200;
                };
                $post: {
                    input: {
                        json: {
                            name: string;
                            kind: "ev_charger" | "swap_station";
                            lat: number;
                            lng: number;
                            address?: string | undefined;
                        };
                    };
                    output: {
                        id: string;
                        name: string;
                        kind: "ev_charger" | "swap_station";
                        lat: number;
                        lng: number;
                        address: string | null;
                        created_at: string;
                    };
                    outputFormat: "json";
                    status: 201;
                };
            }>;
        };
    };
} & {
    api: {
        v1: {
            roles: {
                ":role": {
                    policies: import("hono/client").ClientRequest<string, "/api/v1/roles/:role/policies", {
                        $get: {
                            input: {
                                param: {
                                    role: string;
                                };
                            };
                            output: {
                                role: string;
                                policies: {
                                    id: string;
                                    name: string;
                                    description: string | null;
                                    permissions: string[];
                                    created_at: string;
                                    updated_at: string;
                                }[];
                                permissions: string[];
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                        $put: {
                            input: {
                                param: {
                                    role: string;
                                };
                            } & {
                                json: {
                                    policy_ids: string[];
                                };
                            };
                            output: {
                                role: string;
                                policies: {
                                    id: string;
                                    name: string;
                                    description: string | null;
                                    permissions: string[];
                                    created_at: string;
                                    updated_at: string;
                                }[];
                                permissions: string[];
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            policies: import("hono/client").ClientRequest<string, "/api/v1/policies", {
                $post: {
                    input: {
                        json: {
                            name: string;
                            permissions: string[];
                            description?: string | undefined;
                        };
                    };
                    output: {
                        id: string;
                        name: string;
                        description: string | null;
                        permissions: string[];
                        created_at: string;
                        updated_at: string;
                    };
                    outputFormat: "json";
                    status: 201;
                };
                $get: {
                    input: {
                        query: {
                            limit?: unknown;
                            cursor?: string | undefined;
                        };
                    };
                    output: {
                        items: {
                            id: string;
                            name: string;
                            description: string | null;
                            permissions: string[];
                            created_at: string;
                            updated_at: string;
                        }[];
                        next_cursor: string | null;
                    };
                    outputFormat: "json";
                    status: 200;
                };
            }>;
        };
    };
} & {
    api: {
        v1: {
            policies: {
                ":id": import("hono/client").ClientRequest<string, "/api/v1/policies/:id", {
                    $get: {
                        input: {
                            param: {
                                id: string;
                            };
                        };
                        output: {
                            id: string;
                            name: string;
                            description: string | null;
                            permissions: string[];
                            created_at: string;
                            updated_at: string;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                    $patch: {
                        input: {
                            param: {
                                id: string;
                            };
                        } & {
                            json: {
                                name?: string | undefined;
                                description?: string | null | undefined;
                                permissions?: string[] | undefined;
                            };
                        };
                        output: {
                            id: string;
                            name: string;
                            description: string | null;
                            permissions: string[];
                            created_at: string;
                            updated_at: string;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                    $delete: {
                        input: {
                            param: {
                                id: string;
                            };
                        };
                        output: {};
                        outputFormat: string;
                        status: 204;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            users: import("hono/client").ClientRequest<string, "/api/v1/users", {
                $get: {
                    input: {
                        query: {
                            limit?: unknown;
                            cursor?: string | undefined;
                            pool?: string | undefined;
                            role?: string | undefined;
                            status?: "pending" | "active" | "deactivated" | "suspended" | undefined;
                            q?: string | undefined;
                        };
                    };
                    output: {
                        items: {
                            id: string;
                            pool: string;
                            name: string | null;
                            surname: string | null;
                            phone: string | null;
                            email: string | null;
                            username: string | null;
                            role: string;
                            status: "pending" | "active" | "deactivated" | "suspended";
                            is_verified: boolean;
                            phone_verified: boolean;
                            email_verified: boolean;
                            pending_email: string | null;
                            pending_phone: string | null;
                            parent_id: string | null;
                            created_at: string;
                            updated_at: string;
                            last_login: string | null;
                            locale: string | null;
                            devices: {
                                device_id: string;
                                type: string;
                                registered_at: string;
                            }[];
                        }[];
                        next_cursor: string | null;
                    };
                    outputFormat: "json";
                    status: 200;
                };
            }>;
        };
    };
} & {
    api: {
        v1: {
            users: {
                ":id": import("hono/client").ClientRequest<string, "/api/v1/users/:id", {
                    $get: {
                        input: {
                            param: {
                                id: string;
                            };
                        };
                        output: {
                            id: string;
                            pool: string;
                            name: string | null;
                            surname: string | null;
                            phone: string | null;
                            email: string | null;
                            username: string | null;
                            role: string;
                            status: "pending" | "active" | "deactivated" | "suspended";
                            is_verified: boolean;
                            phone_verified: boolean;
                            email_verified: boolean;
                            pending_email: string | null;
                            pending_phone: string | null;
                            parent_id: string | null;
                            created_at: string;
                            updated_at: string;
                            last_login: string | null;
                            locale: string | null;
                            devices: {
                                device_id: string;
                                type: string;
                                registered_at: string;
                            }[];
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                    $patch: {
                        input: {
                            param: {
                                id: string;
                            };
                        } & {
                            json: {
                                name?: string | null | undefined;
                                surname?: string | null | undefined;
                                email?: string | null | undefined;
                                phone?: string | null | undefined;
                                role?: string | undefined;
                                locale?: "en" | "fr" | "ar" | null | undefined;
                            };
                        };
                        output: {
                            id: string;
                            pool: string;
                            name: string | null;
                            surname: string | null;
                            phone: string | null;
                            email: string | null;
                            username: string | null;
                            role: string;
                            status: "pending" | "active" | "deactivated" | "suspended";
                            is_verified: boolean;
                            phone_verified: boolean;
                            email_verified: boolean;
                            pending_email: string | null;
                            pending_phone: string | null;
                            parent_id: string | null;
                            created_at: string;
                            updated_at: string;
                            last_login: string | null;
                            locale: string | null;
                            devices: {
                                device_id: string;
                                type: string;
                                registered_at: string;
                            }[];
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                    $delete: {
                        input: {
                            param: {
                                id: string;
                            };
                        };
                        output: {};
                        outputFormat: string;
                        status: 204;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            users: {
                ":id": {
                    policies: import("hono/client").ClientRequest<string, "/api/v1/users/:id/policies", {
                        $put: {
                            input: {
                                param: {
                                    id: string;
                                };
                            } & {
                                json: {
                                    policy_ids: string[];
                                };
                            };
                            output: {
                                policies: {
                                    id: string;
                                    name: string;
                                    description: string | null;
                                    permissions: string[];
                                    created_at: string;
                                    updated_at: string;
                                }[];
                                permissions: string[];
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            users: {
                ":id": {
                    password: import("hono/client").ClientRequest<string, "/api/v1/users/:id/password", {
                        $post: {
                            input: {
                                param: {
                                    id: string;
                                };
                            } & {
                                json: {
                                    new_password: string;
                                };
                            };
                            output: {
                                message: string;
                                detail: string;
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            users: {
                ":id": {
                    mfa: import("hono/client").ClientRequest<string, "/api/v1/users/:id/mfa", {
                        $delete: {
                            input: {
                                param: {
                                    id: string;
                                };
                            } & {
                                json: {
                                    passkeys?: boolean | undefined;
                                };
                            };
                            output: {};
                            outputFormat: string;
                            status: 204;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                passkeys: {
                    options: import("hono/client").ClientRequest<string, "/api/v1/me/passkeys/options", {
                        $post: {
                            input: {};
                            output: {
                                [x: string]: import("hono/utils/types").JSONValue;
                                challenge: string;
                                rp: {
                                    [x: string]: import("hono/utils/types").JSONValue;
                                    name: string;
                                };
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                passkeys: import("hono/client").ClientRequest<string, "/api/v1/me/passkeys", {
                    $post: {
                        input: {
                            json: {
                                credential: {
                                    response: {
                                        clientDataJSON: string;
                                        attestationObject: string;
                                        transports?: string[] | undefined;
                                        authenticatorData?: string | undefined;
                                        publicKey?: string | undefined;
                                        publicKeyAlgorithm?: number | undefined;
                                    };
                                    id: string;
                                    rawId: string;
                                    type: "public-key";
                                    authenticatorAttachment?: "platform" | "cross-platform" | null | undefined;
                                    clientExtensionResults?: Record<string, unknown> | undefined;
                                };
                                name?: string | undefined;
                            };
                        };
                        output: {
                            id: string;
                            name: string;
                            credential_id: string;
                            transports: string[];
                            aaguid: string | null;
                            backup_eligible: boolean;
                            backed_up: boolean;
                            created_at: string;
                            last_used_at: string | null;
                        };
                        outputFormat: "json";
                        status: 201;
                    };
                    $get: {
                        input: {};
                        output: {
                            items: {
                                id: string;
                                name: string;
                                credential_id: string;
                                transports: string[];
                                aaguid: string | null;
                                backup_eligible: boolean;
                                backed_up: boolean;
                                created_at: string;
                                last_used_at: string | null;
                            }[];
                            next_cursor: null;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                passkeys: {
                    ":id": import("hono/client").ClientRequest<string, "/api/v1/me/passkeys/:id", {
                        $patch: {
                            input: {
                                param: {
                                    id: string;
                                };
                            } & {
                                json: {
                                    name: string;
                                };
                            };
                            output: {
                                id: string;
                                name: string;
                                credential_id: string;
                                transports: string[];
                                aaguid: string | null;
                                backup_eligible: boolean;
                                backed_up: boolean;
                                created_at: string;
                                last_used_at: string | null;
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                        $delete: {
                            input: {
                                param: {
                                    id: string;
                                };
                            };
                            output: {};
                            outputFormat: string;
                            status: 204;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                mfa: import("hono/client").ClientRequest<string, "/api/v1/me/mfa", {
                    $get: {
                        input: {};
                        output: {
                            totp: "on" | "off" | "pending";
                            recovery_codes_left: number;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                mfa: {
                    totp: import("hono/client").ClientRequest<string, "/api/v1/me/mfa/totp", {
                        $post: {
                            input: {};
                            output: {
                                secret: string;
                                otpauth_uri: string;
                                qr_svg: string;
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                        $delete: {
                            input: {
                                json: {
                                    code?: string | undefined;
                                    recovery_code?: string | undefined;
                                    current_password?: string | undefined;
                                };
                            };
                            output: {};
                            outputFormat: string;
                            status: 204;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                mfa: {
                    totp: {
                        confirm: import("hono/client").ClientRequest<string, "/api/v1/me/mfa/totp/confirm", {
                            $post: {
                                input: {
                                    json: {
                                        code: string;
                                    };
                                };
                                output: {
                                    recovery_codes: string[];
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            me: import("hono/client").ClientRequest<string, "/api/v1/me", {
                $get: {
                    input: {};
                    output: {
                        id: string;
                        pool: string;
                        name: string | null;
                        surname: string | null;
                        phone: string | null;
                        email: string | null;
                        username: string | null;
                        role: string;
                        status: "pending" | "active" | "deactivated" | "suspended";
                        is_verified: boolean;
                        phone_verified: boolean;
                        email_verified: boolean;
                        pending_email: string | null;
                        pending_phone: string | null;
                        parent_id: string | null;
                        created_at: string;
                        updated_at: string;
                        last_login: string | null;
                        locale: string | null;
                        devices: {
                            device_id: string;
                            type: string;
                            registered_at: string;
                        }[];
                    };
                    outputFormat: "json";
                    status: 200;
                };
                $patch: {
                    input: {
                        json: {
                            name?: string | null | undefined;
                            surname?: string | null | undefined;
                            email?: string | undefined;
                            phone?: string | undefined;
                            current_password?: string | undefined;
                            locale?: "en" | "fr" | "ar" | null | undefined;
                            turnstile_token?: string | undefined;
                        };
                    };
                    output: {
                        id: string;
                        pool: string;
                        name: string | null;
                        surname: string | null;
                        phone: string | null;
                        email: string | null;
                        username: string | null;
                        role: string;
                        status: "pending" | "active" | "deactivated" | "suspended";
                        is_verified: boolean;
                        phone_verified: boolean;
                        email_verified: boolean;
                        pending_email: string | null;
                        pending_phone: string | null;
                        parent_id: string | null;
                        created_at: string;
                        updated_at: string;
                        last_login: string | null;
                        locale: string | null;
                        devices: {
                            device_id: string;
                            type: string;
                            registered_at: string;
                        }[];
                    };
                    outputFormat: "json";
                    status: 200;
                };
                $delete: {
                    input: {
                        json: {
                            password: string;
                        };
                    };
                    output: {};
                    outputFormat: string;
                    status: 204;
                };
            }>;
        };
    };
} & {
    api: {
        v1: {
            me: {
                phone: {
                    "verify-request": import("hono/client").ClientRequest<string, "/api/v1/me/phone/verify-request", {
                        $post: {
                            input: {
                                json: {
                                    turnstile_token?: string | undefined;
                                };
                            };
                            output: {
                                message: string;
                                detail: string;
                            };
                            outputFormat: "json";
                            status: 202;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                phone: {
                    verify: import("hono/client").ClientRequest<string, "/api/v1/me/phone/verify", {
                        $post: {
                            input: {
                                json: {
                                    code: string;
                                };
                            };
                            output: {
                                id: string;
                                pool: string;
                                name: string | null;
                                surname: string | null;
                                phone: string | null;
                                email: string | null;
                                username: string | null;
                                role: string;
                                status: "pending" | "active" | "deactivated" | "suspended";
                                is_verified: boolean;
                                phone_verified: boolean;
                                email_verified: boolean;
                                pending_email: string | null;
                                pending_phone: string | null;
                                parent_id: string | null;
                                created_at: string;
                                updated_at: string;
                                last_login: string | null;
                                locale: string | null;
                                devices: {
                                    device_id: string;
                                    type: string;
                                    registered_at: string;
                                }[];
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                sessions: import("hono/client").ClientRequest<string, "/api/v1/me/sessions", {
                    $get: {
                        input: {
                            query: {
                                limit?: unknown;
                                cursor?: string | undefined;
                                include?: "ended" | undefined;
                            };
                        };
                        output: {
                            items: {
                                id: string;
                                created_at: string;
                                last_used_at: string;
                                expires_at: string;
                                ended_at: string | null;
                                user_agent: string | null;
                                ip: string | null;
                                current: boolean;
                            }[];
                            next_cursor: string | null;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                    $delete: {
                        input: {};
                        output: {};
                        outputFormat: string;
                        status: 204;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                sessions: {
                    ":id": import("hono/client").ClientRequest<string, "/api/v1/me/sessions/:id", {
                        $get: {
                            input: {
                                param: {
                                    id: string;
                                };
                            };
                            output: {
                                id: string;
                                created_at: string;
                                last_used_at: string;
                                expires_at: string;
                                ended_at: string | null;
                                user_agent: string | null;
                                ip: string | null;
                                current: boolean;
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                        $delete: {
                            input: {
                                param: {
                                    id: string;
                                };
                            };
                            output: {};
                            outputFormat: string;
                            status: 204;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                devices: import("hono/client").ClientRequest<string, "/api/v1/me/devices", {
                    $get: {
                        input: {
                            query: {
                                limit?: unknown;
                                cursor?: string | undefined;
                            };
                        };
                        output: {
                            items: {
                                device_id: string;
                                type: string;
                                registered_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                    $post: {
                        input: {
                            json: {
                                device_id: string;
                                type: string;
                            };
                        };
                        output: {
                            device_id: string;
                            type: string;
                            registered_at: string;
                        };
                        outputFormat: "json";
                        status: 201;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            me: {
                devices: {
                    ":device_id": import("hono/client").ClientRequest<string, "/api/v1/me/devices/:device_id", {
                        $delete: {
                            input: {
                                param: {
                                    device_id: string;
                                };
                            };
                            output: {};
                            outputFormat: string;
                            status: 204;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                passkey: {
                    options: import("hono/client").ClientRequest<string, "/api/v1/auth/passkey/options", {
                        $post: {
                            input: {
                                json: {
                                    phone?: string | undefined;
                                    email?: string | undefined;
                                    username?: string | undefined;
                                };
                            };
                            output: {
                                [x: string]: import("hono/utils/types").JSONValue;
                                challenge: string;
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                passkey: {
                    verify: import("hono/client").ClientRequest<string, "/api/v1/auth/passkey/verify", {
                        $post: {
                            input: {
                                json: {
                                    credential: {
                                        response: {
                                            clientDataJSON: string;
                                            authenticatorData: string;
                                            signature: string;
                                            userHandle?: string | null | undefined;
                                        };
                                        id: string;
                                        rawId: string;
                                        type: "public-key";
                                        authenticatorAttachment?: "platform" | "cross-platform" | null | undefined;
                                        clientExtensionResults?: Record<string, unknown> | undefined;
                                    };
                                };
                            };
                            output: {
                                access_token: string;
                                token_type: "bearer";
                                expires_in: number;
                                refresh_token: string;
                                user: {
                                    id: string;
                                    pool: string;
                                    name: string | null;
                                    surname: string | null;
                                    phone: string | null;
                                    email: string | null;
                                    username: string | null;
                                    role: string;
                                    status: "pending" | "active" | "deactivated" | "suspended";
                                    is_verified: boolean;
                                    phone_verified: boolean;
                                    email_verified: boolean;
                                    pending_email: string | null;
                                    pending_phone: string | null;
                                    parent_id: string | null;
                                    created_at: string;
                                    updated_at: string;
                                    last_login: string | null;
                                    locale: string | null;
                                    devices: {
                                        device_id: string;
                                        type: string;
                                        registered_at: string;
                                    }[];
                                };
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                mfa: {
                    verify: import("hono/client").ClientRequest<string, "/api/v1/auth/mfa/verify", {
                        $post: {
                            input: {
                                json: {
                                    mfa_token: string;
                                    totp?: string | undefined;
                                    recovery_code?: string | undefined;
                                    passkey?: {
                                        response: {
                                            clientDataJSON: string;
                                            authenticatorData: string;
                                            signature: string;
                                            userHandle?: string | null | undefined;
                                        };
                                        id: string;
                                        rawId: string;
                                        type: "public-key";
                                        authenticatorAttachment?: "platform" | "cross-platform" | null | undefined;
                                        clientExtensionResults?: Record<string, unknown> | undefined;
                                    } | undefined;
                                };
                            };
                            output: {
                                access_token: string;
                                token_type: "bearer";
                                expires_in: number;
                                refresh_token: string;
                                user: {
                                    id: string;
                                    pool: string;
                                    name: string | null;
                                    surname: string | null;
                                    phone: string | null;
                                    email: string | null;
                                    username: string | null;
                                    role: string;
                                    status: "pending" | "active" | "deactivated" | "suspended";
                                    is_verified: boolean;
                                    phone_verified: boolean;
                                    email_verified: boolean;
                                    pending_email: string | null;
                                    pending_phone: string | null;
                                    parent_id: string | null;
                                    created_at: string;
                                    updated_at: string;
                                    last_login: string | null;
                                    locale: string | null;
                                    devices: {
                                        device_id: string;
                                        type: string;
                                        registered_at: string;
                                    }[];
                                };
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                register: import("hono/client").ClientRequest<string, "/api/v1/auth/register", {
                    $post: {
                        input: {
                            json: {
                                password: string;
                                name?: string | undefined;
                                surname?: string | undefined;
                                phone?: string | undefined;
                                email?: string | undefined;
                                role?: string | undefined;
                                locale?: "en" | "fr" | "ar" | undefined;
                                turnstile_token?: string | undefined;
                            };
                        };
                        output: {
                            message: string;
                            detail: string;
                            channel: "email" | "sms";
                            expires_in: number;
                        };
                        outputFormat: "json";
                        status: 201;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                verify: import("hono/client").ClientRequest<string, "/api/v1/auth/verify", {
                    $post: {
                        input: {
                            json: {
                                code: string;
                                phone?: string | undefined;
                                email?: string | undefined;
                                locale?: "en" | "fr" | "ar" | undefined;
                            };
                        };
                        output: {
                            access_token: string;
                            token_type: "bearer";
                            expires_in: number;
                            refresh_token: string;
                            user: {
                                id: string;
                                pool: string;
                                name: string | null;
                                surname: string | null;
                                phone: string | null;
                                email: string | null;
                                username: string | null;
                                role: string;
                                status: "pending" | "active" | "deactivated" | "suspended";
                                is_verified: boolean;
                                phone_verified: boolean;
                                email_verified: boolean;
                                pending_email: string | null;
                                pending_phone: string | null;
                                parent_id: string | null;
                                created_at: string;
                                updated_at: string;
                                last_login: string | null;
                                locale: string | null;
                                devices: {
                                    device_id: string;
                                    type: string;
                                    registered_at: string;
                                }[];
                            };
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                login: import("hono/client").ClientRequest<string, "/api/v1/auth/login", {
                    $post: {
                        input: {
                            json: {
                                phone?: string | undefined;
                                email?: string | undefined;
                                username?: string | undefined;
                                password?: string | undefined;
                                use_otp?: boolean | undefined;
                                locale?: "en" | "fr" | "ar" | undefined;
                                turnstile_token?: string | undefined;
                            };
                        };
                        output: {
                            access_token: string;
                            token_type: "bearer";
                            expires_in: number;
                            refresh_token: string;
                            user: {
                                id: string;
                                pool: string;
                                name: string | null;
                                surname: string | null;
                                phone: string | null;
                                email: string | null;
                                username: string | null;
                                role: string;
                                status: "pending" | "active" | "deactivated" | "suspended";
                                is_verified: boolean;
                                phone_verified: boolean;
                                email_verified: boolean;
                                pending_email: string | null;
                                pending_phone: string | null;
                                parent_id: string | null;
                                created_at: string;
                                updated_at: string;
                                last_login: string | null;
                                locale: string | null;
                                devices: {
                                    device_id: string;
                                    type: string;
                                    registered_at: string;
                                }[];
                            };
                        };
                        outputFormat: "json";
                        status: 200;
                    } | {
                        input: {
                            json: {
                                phone?: string | undefined;
                                email?: string | undefined;
                                username?: string | undefined;
                                password?: string | undefined;
                                use_otp?: boolean | undefined;
                                locale?: "en" | "fr" | "ar" | undefined;
                                turnstile_token?: string | undefined;
                            };
                        };
                        output: {
                            message: string;
                            detail: string;
                        };
                        outputFormat: "json";
                        status: 202;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                "reset-password": import("hono/client").ClientRequest<string, "/api/v1/auth/reset-password", {
                    $post: {
                        input: {
                            json: {
                                phone?: string | undefined;
                                email?: string | undefined;
                                turnstile_token?: string | undefined;
                            };
                        };
                        output: {
                            message: string;
                            detail: string;
                        };
                        outputFormat: "json";
                        status: 202;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                "confirm-reset": import("hono/client").ClientRequest<string, "/api/v1/auth/confirm-reset", {
                    $post: {
                        input: {
                            json: {
                                code: string;
                                new_password: string;
                                phone?: string | undefined;
                                email?: string | undefined;
                            };
                        };
                        output: {
                            message: string;
                            detail: string;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                "change-password": import("hono/client").ClientRequest<string, "/api/v1/auth/change-password", {
                    $post: {
                        input: {
                            json: {
                                old_password: string;
                                new_password: string;
                            };
                        };
                        output: {
                            message: string;
                            detail: string;
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                refresh: import("hono/client").ClientRequest<string, "/api/v1/auth/refresh", {
                    $post: {
                        input: {
                            json: {
                                refresh_token: string;
                            };
                        };
                        output: {
                            access_token: string;
                            token_type: "bearer";
                            expires_in: number;
                            refresh_token: string;
                            user: {
                                id: string;
                                pool: string;
                                name: string | null;
                                surname: string | null;
                                phone: string | null;
                                email: string | null;
                                username: string | null;
                                role: string;
                                status: "pending" | "active" | "deactivated" | "suspended";
                                is_verified: boolean;
                                phone_verified: boolean;
                                email_verified: boolean;
                                pending_email: string | null;
                                pending_phone: string | null;
                                parent_id: string | null;
                                created_at: string;
                                updated_at: string;
                                last_login: string | null;
                                locale: string | null;
                                devices: {
                                    device_id: string;
                                    type: string;
                                    registered_at: string;
                                }[];
                            };
                        };
                        outputFormat: "json";
                        status: 200;
                    };
                }>;
            };
        };
    };
} & {
    api: {
        v1: {
            auth: {
                logout: import("hono/client").ClientRequest<string, "/api/v1/auth/logout", {
                    $post: {
                        input: {};
                        output: {};
                        outputFormat: string;
                        status: 204;
                    };
                }>;
            };
        };
    };
} & {
    health: import("hono/client").ClientRequest<string, "/health", {
        $get: {
            input: {};
            output: {
                status: "ok" | "degraded";
                checks: {
                    db: "ok" | "fail";
                    kv: "ok" | "fail";
                };
            };
            outputFormat: "json";
            status: 503;
        } | {
            input: {};
            output: {
                status: "ok" | "degraded";
                checks: {
                    db: "ok" | "fail";
                    kv: "ok" | "fail";
                };
            };
            outputFormat: "json";
            status: 200;
        };
    }>;
} & {
    ".well-known": {
        "jwks.json": import("hono/client").ClientRequest<string, "/.well-known/jwks.json", {
            $get: {
                input: {};
                output: {
                    keys: {
                        [x: string]: import("hono/utils/types").JSONValue;
                    }[];
                };
                outputFormat: "json";
                status: 200;
            };
        }>;
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        passkey: {
                            options: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/passkey/options", {
                                $post: {
                                    input: {
                                        json: {
                                            phone?: string | undefined;
                                            email?: string | undefined;
                                            username?: string | undefined;
                                        };
                                    } & {
                                        param: {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {
                                        [x: string]: import("hono/utils/types").JSONValue;
                                        challenge: string;
                                    };
                                    outputFormat: "json";
                                    status: 200;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        passkey: {
                            verify: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/passkey/verify", {
                                $post: {
                                    input: {
                                        json: {
                                            credential: {
                                                response: {
                                                    clientDataJSON: string;
                                                    authenticatorData: string;
                                                    signature: string;
                                                    userHandle?: string | null | undefined;
                                                };
                                                id: string;
                                                rawId: string;
                                                type: "public-key";
                                                authenticatorAttachment?: "platform" | "cross-platform" | null | undefined;
                                                clientExtensionResults?: Record<string, unknown> | undefined;
                                            };
                                        };
                                    } & {
                                        param: {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {
                                        access_token: string;
                                        token_type: "bearer";
                                        expires_in: number;
                                        refresh_token: string;
                                        user: {
                                            id: string;
                                            pool: string;
                                            name: string | null;
                                            surname: string | null;
                                            phone: string | null;
                                            email: string | null;
                                            username: string | null;
                                            role: string;
                                            status: "pending" | "active" | "deactivated" | "suspended";
                                            is_verified: boolean;
                                            phone_verified: boolean;
                                            email_verified: boolean;
                                            pending_email: string | null;
                                            pending_phone: string | null;
                                            parent_id: string | null;
                                            created_at: string;
                                            updated_at: string;
                                            last_login: string | null;
                                            locale: string | null;
                                            devices: {
                                                device_id: string;
                                                type: string;
                                                registered_at: string;
                                            }[];
                                        };
                                    };
                                    outputFormat: "json";
                                    status: 200;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        mfa: {
                            verify: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/mfa/verify", {
                                $post: {
                                    input: {
                                        json: {
                                            mfa_token: string;
                                            totp?: string | undefined;
                                            recovery_code?: string | undefined;
                                            passkey?: {
                                                response: {
                                                    clientDataJSON: string;
                                                    authenticatorData: string;
                                                    signature: string;
                                                    userHandle?: string | null | undefined;
                                                };
                                                id: string;
                                                rawId: string;
                                                type: "public-key";
                                                authenticatorAttachment?: "platform" | "cross-platform" | null | undefined;
                                                clientExtensionResults?: Record<string, unknown> | undefined;
                                            } | undefined;
                                        };
                                    } & {
                                        param: {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {
                                        access_token: string;
                                        token_type: "bearer";
                                        expires_in: number;
                                        refresh_token: string;
                                        user: {
                                            id: string;
                                            pool: string;
                                            name: string | null;
                                            surname: string | null;
                                            phone: string | null;
                                            email: string | null;
                                            username: string | null;
                                            role: string;
                                            status: "pending" | "active" | "deactivated" | "suspended";
                                            is_verified: boolean;
                                            phone_verified: boolean;
                                            email_verified: boolean;
                                            pending_email: string | null;
                                            pending_phone: string | null;
                                            parent_id: string | null;
                                            created_at: string;
                                            updated_at: string;
                                            last_login: string | null;
                                            locale: string | null;
                                            devices: {
                                                device_id: string;
                                                type: string;
                                                registered_at: string;
                                            }[];
                                        };
                                    };
                                    outputFormat: "json";
                                    status: 200;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        register: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/register", {
                            $post: {
                                input: {
                                    json: {
                                        password: string;
                                        name?: string | undefined;
                                        surname?: string | undefined;
                                        phone?: string | undefined;
                                        email?: string | undefined;
                                        role?: string | undefined;
                                        locale?: "en" | "fr" | "ar" | undefined;
                                        turnstile_token?: string | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    message: string;
                                    detail: string;
                                    channel: "email" | "sms";
                                    expires_in: number;
                                };
                                outputFormat: "json";
                                status: 201;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        verify: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/verify", {
                            $post: {
                                input: {
                                    json: {
                                        code: string;
                                        phone?: string | undefined;
                                        email?: string | undefined;
                                        locale?: "en" | "fr" | "ar" | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    access_token: string;
                                    token_type: "bearer";
                                    expires_in: number;
                                    refresh_token: string;
                                    user: {
                                        id: string;
                                        pool: string;
                                        name: string | null;
                                        surname: string | null;
                                        phone: string | null;
                                        email: string | null;
                                        username: string | null;
                                        role: string;
                                        status: "pending" | "active" | "deactivated" | "suspended";
                                        is_verified: boolean;
                                        phone_verified: boolean;
                                        email_verified: boolean;
                                        pending_email: string | null;
                                        pending_phone: string | null;
                                        parent_id: string | null;
                                        created_at: string;
                                        updated_at: string;
                                        last_login: string | null;
                                        locale: string | null;
                                        devices: {
                                            device_id: string;
                                            type: string;
                                            registered_at: string;
                                        }[];
                                    };
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        login: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/login", {
                            $post: {
                                input: {
                                    json: {
                                        phone?: string | undefined;
                                        email?: string | undefined;
                                        username?: string | undefined;
                                        password?: string | undefined;
                                        use_otp?: boolean | undefined;
                                        locale?: "en" | "fr" | "ar" | undefined;
                                        turnstile_token?: string | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    access_token: string;
                                    token_type: "bearer";
                                    expires_in: number;
                                    refresh_token: string;
                                    user: {
                                        id: string;
                                        pool: string;
                                        name: string | null;
                                        surname: string | null;
                                        phone: string | null;
                                        email: string | null;
                                        username: string | null;
                                        role: string;
                                        status: "pending" | "active" | "deactivated" | "suspended";
                                        is_verified: boolean;
                                        phone_verified: boolean;
                                        email_verified: boolean;
                                        pending_email: string | null;
                                        pending_phone: string | null;
                                        parent_id: string | null;
                                        created_at: string;
                                        updated_at: string;
                                        last_login: string | null;
                                        locale: string | null;
                                        devices: {
                                            device_id: string;
                                            type: string;
                                            registered_at: string;
                                        }[];
                                    };
                                };
                                outputFormat: "json";
                                status: 200;
                            } | {
                                input: {
                                    json: {
                                        phone?: string | undefined;
                                        email?: string | undefined;
                                        username?: string | undefined;
                                        password?: string | undefined;
                                        use_otp?: boolean | undefined;
                                        locale?: "en" | "fr" | "ar" | undefined;
                                        turnstile_token?: string | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    message: string;
                                    detail: string;
                                };
                                outputFormat: "json";
                                status: 202;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        "reset-password": import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/reset-password", {
                            $post: {
                                input: {
                                    json: {
                                        phone?: string | undefined;
                                        email?: string | undefined;
                                        turnstile_token?: string | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    message: string;
                                    detail: string;
                                };
                                outputFormat: "json";
                                status: 202;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        "confirm-reset": import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/confirm-reset", {
                            $post: {
                                input: {
                                    json: {
                                        code: string;
                                        new_password: string;
                                        phone?: string | undefined;
                                        email?: string | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    message: string;
                                    detail: string;
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        "change-password": import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/change-password", {
                            $post: {
                                input: {
                                    json: {
                                        old_password: string;
                                        new_password: string;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    message: string;
                                    detail: string;
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        refresh: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/refresh", {
                            $post: {
                                input: {
                                    json: {
                                        refresh_token: string;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    access_token: string;
                                    token_type: "bearer";
                                    expires_in: number;
                                    refresh_token: string;
                                    user: {
                                        id: string;
                                        pool: string;
                                        name: string | null;
                                        surname: string | null;
                                        phone: string | null;
                                        email: string | null;
                                        username: string | null;
                                        role: string;
                                        status: "pending" | "active" | "deactivated" | "suspended";
                                        is_verified: boolean;
                                        phone_verified: boolean;
                                        email_verified: boolean;
                                        pending_email: string | null;
                                        pending_phone: string | null;
                                        parent_id: string | null;
                                        created_at: string;
                                        updated_at: string;
                                        last_login: string | null;
                                        locale: string | null;
                                        devices: {
                                            device_id: string;
                                            type: string;
                                            registered_at: string;
                                        }[];
                                    };
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    auth: {
                        logout: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/auth/logout", {
                            $post: {
                                input: {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {};
                                outputFormat: string;
                                status: 204;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    health: import("hono/client").ClientRequest<string, "/health", {
        $get: {
            input: {};
            output: {
                status: "ok" | "degraded";
                checks: {
                    db: "ok" | "fail";
                    kv: "ok" | "fail";
                };
            };
            outputFormat: "json";
            status: 503;
        } | {
            input: {};
            output: {
                status: "ok" | "degraded";
                checks: {
                    db: "ok" | "fail";
                    kv: "ok" | "fail";
                };
            };
            outputFormat: "json";
            status: 200;
        };
    }>;
} & {
    ".well-known": {
        "jwks.json": import("hono/client").ClientRequest<string, "/.well-known/jwks.json", {
            $get: {
                input: {};
                output: {
                    keys: {
                        [x: string]: import("hono/utils/types").JSONValue;
                    }[];
                };
                outputFormat: "json";
                status: 200;
            };
        }>;
    };
} & {
    health: import("hono/client").ClientRequest<string, "/health", {
        $get: {
            input: {};
            output: {
                status: "ok" | "degraded";
                checks: {
                    db: "ok" | "fail";
                    kv: "ok" | "fail";
                };
            };
            outputFormat: "json";
            status: 503;
        } | {
            input: {};
            output: {
                status: "ok" | "degraded";
                checks: {
                    db: "ok" | "fail";
                    kv: "ok" | "fail";
                };
            };
            outputFormat: "json";
            status: 200;
        };
    }>;
} & {
    ".well-known": {
        "jwks.json": import("hono/client").ClientRequest<string, "/.well-known/jwks.json", {
            $get: {
                input: {};
                output: {
                    keys: {
                        [x: string]: import("hono/utils/types").JSONValue;
                    }[];
                };
                outputFormat: "json";
                status: 200;
            };
        }>;
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        passkeys: {
                            options: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/passkeys/options", {
                                $post: {
                                    input: {
                                        param: {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {
                                        [x: string]: import("hono/utils/types").JSONValue;
                                        challenge: string;
                                        rp: {
                                            [x: string]: import("hono/utils/types").JSONValue;
                                            name: string;
                                        };
                                    };
                                    outputFormat: "json";
                                    status: 200;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        passkeys: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/passkeys", {
                            $post: {
                                input: {
                                    json: {
                                        credential: {
                                            response: {
                                                clientDataJSON: string;
                                                attestationObject: string;
                                                transports?: string[] | undefined;
                                                authenticatorData?: string | undefined;
                                                publicKey?: string | undefined;
                                                publicKeyAlgorithm?: number | undefined;
                                            };
                                            id: string;
                                            rawId: string;
                                            type: "public-key";
                                            authenticatorAttachment?: "platform" | "cross-platform" | null | undefined;
                                            clientExtensionResults?: Record<string, unknown> | undefined;
                                        };
                                        name?: string | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    id: string;
                                    name: string;
                                    credential_id: string;
                                    transports: string[];
                                    aaguid: string | null;
                                    backup_eligible: boolean;
                                    backed_up: boolean;
                                    created_at: string;
                                    last_used_at: string | null;
                                };
                                outputFormat: "json";
                                status: 201;
                            };
                            $get: {
                                input: {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    items: {
                                        id: string;
                                        name: string;
                                        credential_id: string;
                                        transports: string[];
                                        aaguid: string | null;
                                        backup_eligible: boolean;
                                        backed_up: boolean;
                                        created_at: string;
                                        last_used_at: string | null;
                                    }[];
                                    next_cursor: null;
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        passkeys: {
                            ":id": import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/passkeys/:id", {
                                $patch: {
                                    input: {
                                        param: {
                                            id: string;
                                        } & {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                        json: {
                                            name: string;
                                        };
                                    };
                                    output: {
                                        id: string;
                                        name: string;
                                        credential_id: string;
                                        transports: string[];
                                        aaguid: string | null;
                                        backup_eligible: boolean;
                                        backed_up: boolean;
                                        created_at: string;
                                        last_used_at: string | null;
                                    };
                                    outputFormat: "json";
                                    status: 200;
                                };
                                $delete: {
                                    input: {
                                        param: {
                                            id: string;
                                        } & {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {};
                                    outputFormat: string;
                                    status: 204;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        mfa: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/mfa", {
                            $get: {
                                input: {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    totp: "on" | "off" | "pending";
                                    recovery_codes_left: number;
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        mfa: {
                            totp: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/mfa/totp", {
                                $post: {
                                    input: {
                                        param: {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {
                                        secret: string;
                                        otpauth_uri: string;
                                        qr_svg: string;
                                    };
                                    outputFormat: "json";
                                    status: 200;
                                };
                                $delete: {
                                    input: {
                                        json: {
                                            code?: string | undefined;
                                            recovery_code?: string | undefined;
                                            current_password?: string | undefined;
                                        };
                                    } & {
                                        param: {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {};
                                    outputFormat: string;
                                    status: 204;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        mfa: {
                            totp: {
                                confirm: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/mfa/totp/confirm", {
                                    $post: {
                                        input: {
                                            json: {
                                                code: string;
                                            };
                                        } & {
                                            param: {
                                                [x: string]: string;
                                                [x: number]: string;
                                                [x: symbol]: string;
                                            };
                                        };
                                        output: {
                                            recovery_codes: string[];
                                        };
                                        outputFormat: "json";
                                        status: 200;
                                    };
                                }>;
                            };
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me", {
                        $get: {
                            input: {
                                param: {
                                    [x: string]: string;
                                    [x: number]: string;
                                    [x: symbol]: string;
                                };
                            };
                            output: {
                                id: string;
                                pool: string;
                                name: string | null;
                                surname: string | null;
                                phone: string | null;
                                email: string | null;
                                username: string | null;
                                role: string;
                                status: "pending" | "active" | "deactivated" | "suspended";
                                is_verified: boolean;
                                phone_verified: boolean;
                                email_verified: boolean;
                                pending_email: string | null;
                                pending_phone: string | null;
                                parent_id: string | null;
                                created_at: string;
                                updated_at: string;
                                last_login: string | null;
                                locale: string | null;
                                devices: {
                                    device_id: string;
                                    type: string;
                                    registered_at: string;
                                }[];
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                        $patch: {
                            input: {
                                json: {
                                    name?: string | null | undefined;
                                    surname?: string | null | undefined;
                                    email?: string | undefined;
                                    phone?: string | undefined;
                                    current_password?: string | undefined;
                                    locale?: "en" | "fr" | "ar" | null | undefined;
                                    turnstile_token?: string | undefined;
                                };
                            } & {
                                param: {
                                    [x: string]: string;
                                    [x: number]: string;
                                    [x: symbol]: string;
                                };
                            };
                            output: {
                                id: string;
                                pool: string;
                                name: string | null;
                                surname: string | null;
                                phone: string | null;
                                email: string | null;
                                username: string | null;
                                role: string;
                                status: "pending" | "active" | "deactivated" | "suspended";
                                is_verified: boolean;
                                phone_verified: boolean;
                                email_verified: boolean;
                                pending_email: string | null;
                                pending_phone: string | null;
                                parent_id: string | null;
                                created_at: string;
                                updated_at: string;
                                last_login: string | null;
                                locale: string | null;
                                devices: {
                                    device_id: string;
                                    type: string;
                                    registered_at: string;
                                }[];
                            };
                            outputFormat: "json";
                            status: 200;
                        };
                        $delete: {
                            input: {
                                json: {
                                    password: string;
                                };
                            } & {
                                param: {
                                    [x: string]: string;
                                    [x: number]: string;
                                    [x: symbol]: string;
                                };
                            };
                            output: {};
                            outputFormat: string;
                            status: 204;
                        };
                    }>;
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        phone: {
                            "verify-request": import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/phone/verify-request", {
                                $post: {
                                    input: {
                                        json: {
                                            turnstile_token?: string | undefined;
                                        };
                                    } & {
                                        param: {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {
                                        message: string;
                                        detail: string;
                                    };
                                    outputFormat: "json";
                                    status: 202;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        phone: {
                            verify: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/phone/verify", {
                                $post: {
                                    input: {
                                        json: {
                                            code: string;
                                        };
                                    } & {
                                        param: {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {
                                        id: string;
                                        pool: string;
                                        name: string | null;
                                        surname: string | null;
                                        phone: string | null;
                                        email: string | null;
                                        username: string | null;
                                        role: string;
                                        status: "pending" | "active" | "deactivated" | "suspended";
                                        is_verified: boolean;
                                        phone_verified: boolean;
                                        email_verified: boolean;
                                        pending_email: string | null;
                                        pending_phone: string | null;
                                        parent_id: string | null;
                                        created_at: string;
                                        updated_at: string;
                                        last_login: string | null;
                                        locale: string | null;
                                        devices: {
                                            device_id: string;
                                            type: string;
                                            registered_at: string;
                                        }[];
                                    };
                                    outputFormat: "json";
                                    status: 200;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        sessions: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/sessions", {
                            $get: {
                                input: {
                                    query: {
                                        limit?: unknown;
                                        cursor?: string | undefined;
                                        include?: "ended" | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    items: {
                                        id: string;
                                        created_at: string;
                                        last_used_at: string;
                                        expires_at: string;
                                        ended_at: string | null;
                                        user_agent: string | null;
                                        ip: string | null;
                                        current: boolean;
                                    }[];
                                    next_cursor: string | null;
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                            $delete: {
                                input: {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {};
                                outputFormat: string;
                                status: 204;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        sessions: {
                            ":id": import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/sessions/:id", {
                                $get: {
                                    input: {
                                        param: {
                                            id: string;
                                        } & {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {
                                        id: string;
                                        created_at: string;
                                        last_used_at: string;
                                        expires_at: string;
                                        ended_at: string | null;
                                        user_agent: string | null;
                                        ip: string | null;
                                        current: boolean;
                                    };
                                    outputFormat: "json";
                                    status: 200;
                                };
                                $delete: {
                                    input: {
                                        param: {
                                            id: string;
                                        } & {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {};
                                    outputFormat: string;
                                    status: 204;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        devices: import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/devices", {
                            $get: {
                                input: {
                                    query: {
                                        limit?: unknown;
                                        cursor?: string | undefined;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    items: {
                                        device_id: string;
                                        type: string;
                                        registered_at: string;
                                    }[];
                                    next_cursor: string | null;
                                };
                                outputFormat: "json";
                                status: 200;
                            };
                            $post: {
                                input: {
                                    json: {
                                        device_id: string;
                                        type: string;
                                    };
                                } & {
                                    param: {
                                        [x: string]: string;
                                        [x: number]: string;
                                        [x: symbol]: string;
                                    };
                                };
                                output: {
                                    device_id: string;
                                    type: string;
                                    registered_at: string;
                                };
                                outputFormat: "json";
                                status: 201;
                            };
                        }>;
                    };
                };
            };
        };
    };
} & {
    api: {
        v1: {
            pools: {
                ":pool": {
                    me: {
                        devices: {
                            ":device_id": import("hono/client").ClientRequest<string, "/api/v1/pools/:pool/me/devices/:device_id", {
                                $delete: {
                                    input: {
                                        param: {
                                            device_id: string;
                                        } & {
                                            [x: string]: string;
                                            [x: number]: string;
                                            [x: symbol]: string;
                                        };
                                    };
                                    output: {};
                                    outputFormat: string;
                                    status: 204;
                                };
                            }>;
                        };
                    };
                };
            };
        };
    };
};
export type EdgeAuthClient = ReturnType<typeof createClient>;
