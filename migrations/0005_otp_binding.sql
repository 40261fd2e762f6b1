ALTER TABLE `otp_challenges` ADD `user_id` text;--> statement-breakpoint
ALTER TABLE `otp_challenges` ADD `user_stamp` integer;--> statement-breakpoint
ALTER TABLE `otp_challenges` ADD `last_guess` text;