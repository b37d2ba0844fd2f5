-- tests/integration/virusd/message.lua - miltertest script: sends one or
-- more messages (RFC 5322 files) over one milter connection and checks
-- the filter's answer to each at end of message.
--
-- Globals (miltertest -D): sock (unix:PATH), n (messages), and for each
-- message i: file<i>, expect<i> (reject, tempfail, accept, quarantine),
-- and as the expectation needs: code<i>, xcode<i>, text<i> (reply),
-- hname<i>, hvalue<i> (header added), reason<i> (quarantine reason).
-- Prints "ok <i>" per message; any mismatch is an error (exit status 1).

local function fail(i, what)
	error(string.format("message %d (%s): %s", i, _G["file" .. i], what))
end

-- The message as the MTA passes it to a milter: header fields apart
-- (values without the space after the colon), the body with CRLF line
-- ends (files with bare LF are converted).
local function read_message(path)
	local f = assert(io.open(path, "rb"))
	local text = f:read("*a")
	f:close()
	text = string.gsub(text, "\r\n", "\n")
	local hend = string.find(text, "\n\n", 1, true)
	if hend == nil then
		error(path .. ": no end of header")
	end
	local head = string.sub(text, 1, hend)
	local body = string.gsub(string.sub(text, hend + 2), "\n", "\r\n")
	local fields = {}
	for line in string.gmatch(head, "(.-)\n") do
		if string.match(line, "^[ \t]") and #fields > 0 then
			local last = fields[#fields]
			last.value = last.value .. "\r\n" .. line
		else
			local name, value = string.match(line, "^([^:]+):[ \t]*(.*)$")
			if name == nil then
				error(path .. ": bad header line " .. line)
			end
			fields[#fields + 1] = { name = name, value = value }
		end
	end
	return fields, body
end

local function send(conn, i)
	local fields, body = read_message(_G["file" .. i])
	mt.macro(conn, SMFIC_MAIL, "i", "QID" .. i)
	if mt.mailfrom(conn, "<alice@example.test>") ~= nil then
		fail(i, "mailfrom")
	end
	for _, h in ipairs(fields) do
		if mt.header(conn, h.name, h.value) ~= nil then
			fail(i, "header " .. h.name)
		end
	end
	if mt.eoh(conn) ~= nil then
		fail(i, "eoh")
	end
	local pos = 1
	while pos <= #body do
		if mt.bodystring(conn, string.sub(body, pos, pos + 65534)) ~= nil then
			fail(i, "body")
		end
		pos = pos + 65535
	end
	if mt.eom(conn) ~= nil then
		fail(i, "eom")
	end
end

local function check(conn, i)
	local expect = _G["expect" .. i]
	local reply = mt.getreply(conn)
	if expect == "reject" or expect == "tempfail" then
		if reply ~= SMFIR_REPLYCODE then
			fail(i, "no reply code, got " .. tostring(reply))
		end
		if not mt.eom_check(conn, MT_SMTPREPLY, _G["code" .. i],
		    _G["xcode" .. i], _G["text" .. i]) then
			fail(i, "reply is not " .. _G["code" .. i] .. " " ..
			    _G["xcode" .. i] .. " " .. _G["text" .. i])
		end
		if mt.eom_check(conn, MT_HDRADD) then
			fail(i, "a header was added to a refused message")
		end
	elseif expect == "accept" or expect == "quarantine" then
		if reply ~= SMFIR_CONTINUE and reply ~= SMFIR_ACCEPT then
			fail(i, "not accepted, reply " .. tostring(reply))
		end
		if not mt.eom_check(conn, MT_HDRADD, _G["hname" .. i],
		    _G["hvalue" .. i]) then
			fail(i, "header " .. _G["hname" .. i] .. ": " ..
			    _G["hvalue" .. i] .. " not added")
		end
		local q = mt.eom_check(conn, MT_QUARANTINE)
		if expect == "quarantine" then
			if not mt.eom_check(conn, MT_QUARANTINE, _G["reason" .. i]) then
				fail(i, "not quarantined for " .. _G["reason" .. i])
			end
		elseif q then
			fail(i, "quarantined")
		end
	else
		fail(i, "unknown expectation " .. tostring(expect))
	end
	mt.echo("ok " .. i)
end

-- tessera-virusd implements no connect, HELO or RCPT callback, so
-- libmilter negotiates those steps away: each message starts at MAIL.
local function main()
	mt.set_timeout(30)
	local conn = mt.connect(sock, 40, 0.25)
	if conn == nil then
		error("cannot connect to " .. sock)
	end
	for i = 1, tonumber(n) do
		send(conn, i)
		check(conn, i)
	end
	mt.disconnect(conn)
end

-- miltertest exits 1 on an error without saying why: say it.
local ok, err = pcall(main)
if not ok then
	mt.echo("FAIL: " .. tostring(err))
	error(err)
end
