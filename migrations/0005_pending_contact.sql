ALTER TABLE `users` ADD `pending_email` text;--> statement-breakpoint
ALTER TABLE `users` ADD `pending_email_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `pending_phone` text;--> statement-breakpoint
ALTER TABLE `users` ADD `pending_phone_at` integer;