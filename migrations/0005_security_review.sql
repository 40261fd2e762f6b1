ALTER TABLE `login_failures` ADD `in_flight` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `login_failures` ADD `in_flight_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `otp_challenges` ADD `user_id` text;--> statement-breakpoint
ALTER TABLE `otp_challenges` ADD `user_stamp` integer;--> statement-breakpoint
ALTER TABLE `otp_challenges` ADD `last_guess` text;--> statement-breakpoint
ALTER TABLE `users` ADD `pending_email` text;--> statement-breakpoint
ALTER TABLE `users` ADD `pending_email_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `pending_phone` text;--> statement-breakpoint
ALTER TABLE `users` ADD `pending_phone_at` integer;