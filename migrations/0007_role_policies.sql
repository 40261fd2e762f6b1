CREATE TABLE `role_policies` (
	`role` text NOT NULL,
	`policy_id` text NOT NULL,
	PRIMARY KEY(`role`, `policy_id`),
	FOREIGN KEY (`policy_id`) REFERENCES `policies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `role_policies_policy_idx` ON `role_policies` (`policy_id`);