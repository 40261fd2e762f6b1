import fc from 'fast-check'
import { it } from 'vitest'
import { call } from '../helpers/app'
import { shapedObjectArb } from '../helpers/fuzz'
it('scratch', async () => {
  const fields = ['phone', 'email', 'username', 'password', 'use_otp']
  const t: Record<string, number> = {}
  for (const body of fc.sample(shapedObjectArb(fields), 60)) {
    const res = await call('POST', '/api/v1/auth/login', { body, headers: { 'content-type': 'application/json' }, ip: `10.0.0.${Math.floor(Math.random()*200)}` })
    const j: any = await res.json()
    const k = `${res.status} ${j.error} ${Object.keys(j.fields ?? {}).join(',')}`
    t[k] = (t[k] ?? 0) + 1
  }
  console.warn(JSON.stringify(t, null, 1))
})
