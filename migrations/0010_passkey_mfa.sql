-- SPEC §14 (issue 19): a user holding a passkey has MFA on with method `passkey` (bit 2 of
-- users.mfa_methods); the bit is kept by the passkey add/delete batches from now on.
UPDATE `users` SET `mfa_methods` = `mfa_methods` | 2 WHERE `id` IN (SELECT `user_id` FROM `passkeys`);
