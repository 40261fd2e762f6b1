-- SPEC §12, user pools. Every existing row belongs to `default` through the columns' default
-- (ADD COLUMN with a constant default rewrites no row); identifiers become unique per pool (the
-- new indexes are built before the old ones go). Only `devices` is rebuilt (its primary key
-- becomes (pool, device_id)); no table references it.
ALTER TABLE `users` ADD `pool` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `users_pool_phone_unique` ON `users` (`pool`,`phone`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_pool_email_unique` ON `users` (`pool`,`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_pool_username_unique` ON `users` (`pool`,`username`);--> statement-breakpoint
CREATE INDEX `users_pool_idx` ON `users` (`pool`,`id`);--> statement-breakpoint
DROP INDEX `users_phone_unique`;--> statement-breakpoint
DROP INDEX `users_email_unique`;--> statement-breakpoint
DROP INDEX `users_username_unique`;--> statement-breakpoint
CREATE TABLE `__new_devices` (
	`device_id` text NOT NULL,
	`pool` text DEFAULT 'default' NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`registered_at` integer NOT NULL,
	PRIMARY KEY(`pool`, `device_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_devices`("device_id", "pool", "user_id", "type", "registered_at") SELECT "device_id", 'default', "user_id", "type", "registered_at" FROM `devices`;--> statement-breakpoint
DROP TABLE `devices`;--> statement-breakpoint
ALTER TABLE `__new_devices` RENAME TO `devices`;--> statement-breakpoint
CREATE INDEX `devices_user_idx` ON `devices` (`user_id`);--> statement-breakpoint
ALTER TABLE `audit_events` ADD `pool` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE `otp_challenges` ADD `pool` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `pool` text DEFAULT 'default' NOT NULL;